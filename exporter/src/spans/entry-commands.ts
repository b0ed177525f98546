import {
  ERRORS_MAX_MEMBERS,
  ERRORS_WINDOW_MS,
  errorMember,
  errorsKey,
  SLOW_STREAM_MAXLEN,
  slowKey,
  slowStreamFields,
  validateErrorEntry,
  validateSlowEntry,
} from '@gravito/pulse-protocol';
import type { RedisCommand } from '../redis/writer.js';
import type { QueuedEntry } from './entry-queue.js';

export interface EntryCommands {
  commands: RedisCommand[];
  /** For each command, the index of the entry it writes, or -1 for housekeeping (trim, expire). */
  entryOf: number[];
  /** Entries that failed the protocol schema and were left out. */
  invalid: number;
  firstInvalidError?: string;
}

/**
 * The serializer for one flush:
 * - a slow entry is `XADD pulse:slow:{app} MAXLEN ~ 1000 * entry <json>`;
 * - an error is `ZADD pulse:errors:{app} <ts> <json>`, and once per app and flush the set is trimmed
 *   to the window (`ZREMRANGEBYSCORE`) and the cap (`ZREMRANGEBYRANK`), and `EXPIRE`d, so that an
 *   idle app leaves nothing behind.
 * Every entry is checked against the protocol schema first; an invalid one is never written.
 */
export function entryCommands(batch: readonly QueuedEntry[], now: number): EntryCommands {
  const commands: RedisCommand[] = [];
  const entryOf: number[] = [];
  const errorKeys = new Set<string>();
  let invalid = 0;
  let firstInvalidError: string | undefined;
  batch.forEach((item, i) => {
    const check = item.type === 'slow' ? validateSlowEntry(item.entry) : validateErrorEntry(item.entry);
    if (!check.ok) {
      invalid++;
      firstInvalidError ??= check.error;
      return;
    }
    if (item.type === 'slow') {
      commands.push(['xadd', slowKey(item.app), 'MAXLEN', '~', SLOW_STREAM_MAXLEN, '*', ...slowStreamFields(item.entry)]);
    } else {
      const key = errorsKey(item.app);
      const { score, member } = errorMember(item.entry);
      commands.push(['zadd', key, score, member]);
      errorKeys.add(key);
    }
    entryOf.push(i);
  });
  for (const key of errorKeys) {
    commands.push(['zremrangebyscore', key, '-inf', `(${now - ERRORS_WINDOW_MS}`]);
    commands.push(['zremrangebyrank', key, 0, -(ERRORS_MAX_MEMBERS + 1)]);
    commands.push(['expire', key, Math.ceil(ERRORS_WINDOW_MS / 1000)]);
    entryOf.push(-1, -1, -1);
  }
  return { commands, entryOf, invalid, firstInvalidError };
}
