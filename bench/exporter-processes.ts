// Cost of reporting worker processes (the heartbeat's `processes`), per collection, with 2 and 8 child
// processes, in one run: pidusage as Pulse calls it, pidusage batched, a hand-written /proc read (the
// floor), systeminformation (another well-kept library), and Pulse's whole WorkerCollector.
//   node --import tsx bench/exporter-processes.ts
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import pidusage from 'pidusage';
import si from 'systeminformation';
import { WorkerCollector } from '../exporter/src/collect/workers.js';
import { median } from './lib/median.js';

const ROUNDS = 5;
const N = Number(process.env.BENCH_N ?? 200);
const now = () => Number(process.hrtime.bigint()) / 1_000; // µs

/** Median wall time of one collection, µs, and the part that blocks the event loop (until the promise is returned). */
async function measure(collect: () => Promise<unknown>, n = N): Promise<{ wall: number; sync: number }> {
  for (let i = 0; i < 5; i++) await collect();
  const rounds: Array<{ wall: number; sync: number }> = [];
  for (let r = 0; r < ROUNDS; r++) {
    const walls: number[] = [];
    const syncs: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = now();
      const p = collect();
      const t1 = now();
      await p;
      walls.push(now() - t0);
      syncs.push(t1 - t0);
    }
    rounds.push({ wall: median(walls), sync: median(syncs) });
  }
  return { wall: median(rounds.map((x) => x.wall)), sync: median(rounds.map((x) => x.sync)) };
}

/** utime + stime (ticks) and RSS (pages) from /proc/<pid>/stat: what a library on Linux reads at the least. */
async function procStat(pid: number): Promise<{ ticks: number; rssPages: number }> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { ticks: Number(fields[11]) + Number(fields[12]), rssPages: Number(fields[21]) };
}

const children: ChildProcess[] = [];
const spawnIdle = (count: number) => {
  for (let i = 0; i < count; i++) children.push(spawn('sleep', ['600'], { stdio: 'ignore' }));
};

console.log(
  `One collection of the worker processes' CPU and RSS, median of ${ROUNDS} rounds × ${N}, µs (wall; in brackets the part that blocks the event loop):`,
);
console.log('| method | 1 pid (this process) | 2 workers | 8 workers | per worker (8) |\n|---|---|---|---|---|');
const rows: Array<[string, (pids: number[]) => Promise<unknown>, number]> = [
  ['`pidusage`, one call per pid', (pids) => Promise.all(pids.map((pid) => pidusage(pid))), N],
  ['`pidusage`, one call for all pids (as Pulse calls it)', (pids) => pidusage(pids), N],
  ['hand-written `/proc/<pid>/stat` read (the floor, Linux only)', (pids) => Promise.all(pids.map(procStat)), N],
  // systeminformation runs `ps` in a child process for every call: far fewer iterations.
  ['`systeminformation.processLoad` (runs `ps`)', (pids) => si.processLoad(pids.length === 1 ? 'node' : 'sleep'), 10],
];
const results = new Map<string, number[]>();
for (const [name] of rows) results.set(name, []);
const cells = (x: { wall: number; sync: number }) => `${x.wall.toFixed(0)} (${x.sync.toFixed(0)})`;
const table = new Map<string, string[]>();
for (const [name] of rows) table.set(name, []);
for (const count of [1, 2, 8]) {
  if (count > 1) spawnIdle(count - (children.length || 0));
  const pids = count === 1 ? [process.pid] : children.map((c) => c.pid as number);
  for (const [name, collect, n] of rows) {
    const m = await measure(() => collect(pids), n);
    table.get(name)?.push(cells(m));
    if (count === 8) table.get(name)?.push((m.wall / 8).toFixed(0));
  }
}
for (const [name, values] of table) console.log(`| ${name} | ${values.join(' | ')} |`);

// Pulse's whole collection: children found in /proc, command names, pidusage, bounded in time.
const collector = new WorkerCollector(true);
const whole = await measure(() => collector.sample());
console.log(
  `\nPulse's WorkerCollector.sample() with ${children.length} children (listing, names, pidusage): ${cells(whole)} µs, ${(whole.wall / children.length).toFixed(0)} µs per worker.`,
);
for (const c of children) c.kill();
process.exit(0);
