// Runs every package's tests in one node:test run, so that CI reads one summary.
// Usage: node scripts/run-tests.mjs [--node-test-flag …] [package or test file …]   (default: all packages)
//   e.g. --experimental-test-isolation=none (Node >= 22.8): every file in one process, as CI's Node 22 leg runs them.
// node's usual report comes first; then test-summary-reporter.mjs's summary of what failed, and how node exited.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROGRESS_REPORTER } from './test-summary-format.mjs';

const SUMMARY_REPORTER = fileURLToPath(new URL('./test-summary-reporter.mjs', import.meta.url));

const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('--'));
const named = args.filter((a) => !a.startsWith('--'));
const targets = named.length > 0 ? named : ['protocol', 'testkit', 'exporter', 'bridge', 'grafana', 'scripts'];
const files = targets.flatMap((target) => {
  if (existsSync(target) && statSync(target).isFile()) return [target];
  const dir = join(target, 'test');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => join(dir, f));
});
if (files.length === 0) {
  console.error(`no test files under ${targets.join(', ')}`);
  process.exit(1);
}
// The summary goes to a file of its own, printed once node has exited: after all of node's report, whatever order
// node's reporters finish in.
const summaryDir = mkdtempSync(join(tmpdir(), 'pulse-test-summary-'));
const summaryFile = join(summaryDir, 'summary.txt');
const reporters = [
  [PROGRESS_REPORTER, 'stdout'],
  [SUMMARY_REPORTER, summaryFile],
].flatMap(([reporter, destination]) => [`--test-reporter=${reporter}`, `--test-reporter-destination=${destination}`]);
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...reporters, ...flags, ...files], {
  stdio: 'inherit',
});
process.stdout.write(existsSync(summaryFile) ? readFileSync(summaryFile, 'utf8') : '');
rmSync(summaryDir, { recursive: true, force: true });
if (result.status !== 0) {
  const how = result.error
    ? `did not start: ${result.error.message}`
    : result.signal
      ? `was killed by ${result.signal}`
      : `exited with code ${result.status}`;
  console.log(`✖ node --test ${how}`);
}
process.exitCode = result.status ?? 1;
