// The summary that ends `npm test`: run-tests.mjs on fixtures that fail on purpose (not *.test.ts, so the main run
// leaves them alone) ends with each failure's name and first error lines, node's totals, and how node exited.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { run } from '@gravito/pulse-testkit';
import { ROOT } from '../demo/stack.js';

/** run-tests.mjs on one fixture, as `npm test` runs the packages: its output's lines (TAP's, as in CI: not a terminal). */
async function runTests(fixture: string): Promise<string[]> {
  const env = { ...process.env };
  // Set by the runner of this file: a nested run would report to it in its wire format instead of printing.
  delete env.NODE_TEST_CONTEXT;
  const file = join('scripts', 'test', 'fixtures', 'test-summary', fixture);
  const { stdout } = await run(process.execPath, [join('scripts', 'run-tests.mjs'), file], { cwd: ROOT, env, expectedExitCode: 1 });
  return stdout.trimEnd().split('\n');
}

test('a broken test: its name and first error lines are in the last 20 lines, then node totals and exit code', async () => {
  const lines = await runTests('one-failure.ts');
  assert.ok(lines.includes('    ok 1 - passes'), "node's report comes first");
  const last = lines.slice(-20);
  const at = last.indexOf('✖ a fixture suite › adds up  (scripts/test/fixtures/test-summary/one-failure.ts)');
  assert.ok(at !== -1, last.join('\n'));
  assert.deepEqual(last.slice(at + 1, at + 3), [
    '    AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:',
    '    2 !== 3',
  ]);
  assert.match(last[at + 3] ?? '', /^ {8}at .*one-failure\.ts:9:/);
  assert.deepEqual(last.slice(-9, -2), ['# tests 2', '# suites 1', '# pass 1', '# fail 1', '# cancelled 0', '# skipped 0', '# todo 0']);
  assert.match(last.at(-2) ?? '', /^# duration_ms \d/);
  assert.equal(last.at(-1), '✖ node --test exited with code 1');
});

test("a failing hook is the cause of the tests it cancelled; a failing command's own output is quoted", async () => {
  const lines = await runTests('hook-and-command.ts');
  const summary = lines.slice(lines.findLastIndex((line) => line.startsWith('✖ 2 failures, 2 cancelled tests')));
  const file = 'scripts/test/fixtures/test-summary/hook-and-command.ts';
  const hook = summary.indexOf(`✖ a suite whose before hook fails: failed running before hook  (${file})`);
  assert.ok(hook !== -1, summary.join('\n'));
  assert.deepEqual(summary.slice(hook + 1, hook + 3), ['    cancelled 2 tests: first, second', '    Error: no database for this suite']);
  const command = summary.indexOf(`✖ a command that fails  (${file})`);
  assert.ok(command !== -1, summary.join('\n'));
  assert.match(summary[command + 1] ?? '', /^ {4}Error: command exited with code 3: .*node -e "console\.log/);
  assert.deepEqual(summary.slice(command + 2, command + 6), ['    --- stderr ---', '    to stderr', '    --- stdout ---', '    to stdout']);
  // node counts the command's test as the only failure: the hook is in no total.
  assert.ok(summary.includes('# fail 1') && summary.includes('# cancelled 2'), summary.join('\n'));
});
