// Runs every package's tests in one node:test run, so that CI reads one summary.
// Usage: node scripts/run-tests.mjs [--node-test-flag …] [package …]   (default: all packages)
//   e.g. --experimental-test-isolation=none (Node >= 22.8): every file in one process, as CI's Node 22 leg runs them.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('--'));
const named = args.filter((a) => !a.startsWith('--'));
const packages = named.length > 0 ? named : ['protocol', 'testkit', 'exporter', 'bridge', 'grafana', 'scripts'];
const files = packages.flatMap((pkg) => {
  const dir = join(pkg, 'test');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => join(dir, f));
});
if (files.length === 0) {
  console.error(`no test files under ${packages.join(', ')}`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...flags, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
