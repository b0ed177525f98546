import { fnv1a32Hex } from './keys.js';

const FRAME = /^\s*at\s/;
// ":12:20" or ":12" at the end of a frame, before an optional closing parenthesis.
const LINE_COLUMN = /:\d+(?::\d+)?(?=\)?\s*$)/;

/** The first `at …` line of a V8 stack, trimmed, with its line and column numbers removed. */
export function firstFrame(stack: string | undefined): string | undefined {
  if (!stack) return undefined;
  for (const line of stack.split('\n', 64)) {
    if (FRAME.test(line)) return line.trim().replace(LINE_COLUMN, '');
  }
  return undefined;
}

/**
 * Groups occurrences of the same error at the same place:
 * `fnv1a32Hex(type + "\n" + first stack frame without line and column numbers)`.
 * Line numbers are dropped so that a deploy that shifts code keeps the group. Without any stack
 * frame the message stands in for the frame, so that unrelated errors of one type stay apart.
 */
export function errorFingerprint(type: string, message: string, stack: string | undefined): string {
  return fnv1a32Hex(`${type}\n${firstFrame(stack) ?? message}`);
}
