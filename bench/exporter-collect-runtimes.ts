// One heartbeat collection under Bun next to Node, in one run: bench/exporter-collect.ts under each runtime,
// alternately (Node, Bun, Node, Bun), so that both see the same machine load.
//   node --import tsx bench/exporter-collect-runtimes.ts   (Bun from .ci/bun, $BUN_BINARY or PATH)
import { spawnSync } from 'node:child_process';
import { findBun, NO_BUN } from '@gravito/pulse-testkit';

type Medians = Record<string, { sync: number; wall: number }>;

const bun = findBun();
if (bun === undefined) {
  console.log(`skipped: ${NO_BUN}`);
  process.exit(0);
}
const runtimes = {
  [`Node ${process.version}`]: [process.execPath, '--import', 'tsx', '--expose-gc'],
  [`Bun ${spawnSync(bun, ['--version'], { encoding: 'utf8' }).stdout.trim()}`]: [bun],
};
const ROUNDS = 2;
const results: Record<string, Medians[]> = Object.fromEntries(Object.keys(runtimes).map((name) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, [command, ...args]] of Object.entries(runtimes)) {
    const run = spawnSync(command as string, [...args, 'bench/exporter-collect.ts'], {
      env: { ...process.env, BENCH_JSON: '1' },
      encoding: 'utf8',
      timeout: 300_000,
    });
    const line = run.stdout.split('\n').find((l) => l.startsWith('BENCH_JSON '));
    if (run.status !== 0 || line === undefined) throw new Error(`${name}: exporter-collect failed\n${run.stdout}\n${run.stderr}`);
    results[name]?.push(JSON.parse(line.slice('BENCH_JSON '.length)));
  }
}

const [nodeName, bunName] = Object.keys(runtimes) as [string, string];
console.log(`the slower of ${ROUNDS} runs per runtime, each the median of 5 rounds × 2,000 collections (µs):`);
console.log(`| collection | ${nodeName} sync | ${bunName} sync | Bun / Node (sync) | ${nodeName} wall | ${bunName} wall |`);
console.log('|---|---|---|---|---|---|');
for (const row of Object.keys(results[nodeName]?.[0] ?? {})) {
  const pick = (name: string, field: 'sync' | 'wall') => Math.max(...(results[name] ?? []).map((r) => r[row]?.[field] ?? Number.NaN));
  const ns = pick(nodeName, 'sync');
  const bs = pick(bunName, 'sync');
  console.log(
    `| ${row} | ${ns.toFixed(1)} | ${bs.toFixed(1)} | ${(bs / ns).toFixed(2)}× | ${pick(nodeName, 'wall').toFixed(1)} | ${pick(bunName, 'wall').toFixed(1)} |`,
  );
}
