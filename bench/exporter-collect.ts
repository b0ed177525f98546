// One full Pulse heartbeat collection next to @opentelemetry/host-metrics (CPU and memory only), in one run.
//   node --import tsx --expose-gc bench/exporter-collect.ts
// "sync" is the part that blocks the event loop (until collect() returns its promise); "wall" includes
// the statfs that runs on the thread pool.
import { HostMetrics } from '@opentelemetry/host-metrics';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { HostCollector } from '../exporter/src/collect/host-collector.js';
import { registerInstruments } from '../exporter/src/metrics/instruments.js';
import { RecorderStats } from '../exporter/src/stats.js';
import { median } from './lib/median.js';

class PullReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

const ROUNDS = 5;
const N = 2_000;
const now = () => Number(process.hrtime.bigint()) / 1_000; // µs

async function measure(collect: () => Promise<unknown>): Promise<{ sync: number; wall: number; maxSync: number }> {
  const syncs: number[] = [];
  const walls: number[] = [];
  for (let i = 0; i < 50; i++) await collect(); // warm-up
  for (let i = 0; i < N; i++) {
    const t0 = now();
    const p = collect();
    const t1 = now();
    await p;
    const t2 = now();
    syncs.push(t1 - t0);
    walls.push(t2 - t0);
  }
  syncs.sort((a, b) => a - b);
  return { sync: median(syncs), wall: median(walls), maxSync: syncs[Math.floor(syncs.length * 0.99)] as number };
}

// 1. Pulse's collectors alone.
const collector = new HostCollector(['/']);
// 2. Pulse's full path through OpenTelemetry: observable instruments collected by a reader.
const pulseReader = new PullReader();
const pulseProvider = new MeterProvider({ readers: [pulseReader] });
registerInstruments(pulseProvider.getMeter('@gravito/pulse-node'), new HostCollector(['/']), new RecorderStats());
// 3. host-metrics, CPU and memory groups only (its network group runs execSync every time).
const hmReader = new PullReader();
const hmProvider = new MeterProvider({ readers: [hmReader] });
new HostMetrics({ meterProvider: hmProvider, metricGroups: ['system.cpu', 'system.memory', 'process.cpu', 'process.memory'] }).start();

const rows: Record<string, { sync: number[]; wall: number[]; p99: number[] }> = {
  'Pulse collectors (cpu, memory, load, disk /, process, event loop)': { sync: [], wall: [], p99: [] },
  'Pulse via OTel instruments + reader.collect()': { sync: [], wall: [], p99: [] },
  'host-metrics (system + process cpu and memory) via reader.collect()': { sync: [], wall: [], p99: [] },
};
const fns = [() => collector.collect(), () => pulseReader.collect(), () => hmReader.collect()];
for (let r = 0; r < ROUNDS; r++) {
  const names = Object.keys(rows);
  for (let k = 0; k < fns.length; k++) {
    const m = await measure(fns[k] as () => Promise<unknown>);
    const row = rows[names[k] as string];
    row?.sync.push(m.sync);
    row?.wall.push(m.wall);
    row?.p99.push(m.maxSync);
  }
}
console.log(`${N} collections × ${ROUNDS} rounds, medians of round medians (µs):`);
console.log('| collection | sync (blocks the loop) | p99 sync | wall |');
console.log('|---|---|---|---|');
const base = rows['host-metrics (system + process cpu and memory) via reader.collect()'];
for (const [name, row] of Object.entries(rows)) {
  console.log(`| ${name} | ${median(row.sync).toFixed(1)} | ${median(row.p99).toFixed(1)} | ${median(row.wall).toFixed(1)} |`);
}
// For bench/exporter-collect-runtimes.ts, which runs this file under Node and under Bun.
if (process.env.BENCH_JSON === '1') {
  const medians = Object.fromEntries(Object.entries(rows).map(([name, row]) => [name, { sync: median(row.sync), wall: median(row.wall) }]));
  console.log(`BENCH_JSON ${JSON.stringify(medians)}`);
}
const full = rows['Pulse via OTel instruments + reader.collect()'];
if (base && full) console.log(`Pulse full / host-metrics (sync): ${(median(full.sync) / median(base.sync)).toFixed(2)}×`);
collector.stop();
await pulseProvider.shutdown();
await hmProvider.shutdown();
process.exit(0);
