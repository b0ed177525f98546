// /metrics at 10,000 servers: the bridge's scrape, next to the same series through prom-client labelled
// gauges (the idiomatic baseline), in one run.
//   node --import tsx bench/bridge-scrape.ts
import { performance } from 'node:perf_hooks';
import { heartbeatKey } from '@gravito/pulse-protocol';
import { startRedis } from '@gravito/pulse-testkit';
import { pino } from 'pino';
import { Gauge, Registry } from 'prom-client';
import { assembleBridge } from '../bridge/src/assemble.js';
import { heartbeatTemplate, inPipelines } from './lib/bridge-setup.js';
import { timeWithLoopBlock } from './lib/loop-block.js';
import { median } from './lib/median.js';

const SERVERS = 10_000;
const APPS = 100;
const ROUNDS = 9;
const template = heartbeatTemplate();

const redis = await startRedis();
const client = redis.client();
async function writeHeartbeats(): Promise<void> {
  await inPipelines(client, SERVERS, (p, i) => {
    const hb = structuredClone(template);
    hb.timestamp = Date.now();
    hb.meta.app_name = `app-${i % APPS}`;
    hb.system.cpu_usage = Math.round(Math.random() * 1000) / 10;
    p.set(heartbeatKey(`app-${i % APPS}`, `server-${i}`), JSON.stringify(hb), 'EX', 600);
  });
}
await writeHeartbeats();

// A long interval: the snapshot stays put while the scrapes run; the bench triggers polls itself.
const bridge = assembleBridge(
  { redisUrl: redis.url, port: 0, lostAfterMs: 600_000 },
  { logger: pino({ level: 'silent' }), unsafeIntervalMs: 3_600_000 },
);
const { url } = await bridge.start();
const { monitor } = bridge;
while (monitor.getAggregateMetrics().apps.reduce((n, a) => n + a.servers.length, 0) < SERVERS) {
  await new Promise((r) => setTimeout(r, 100));
  await monitor.tick();
}

async function scrape(accept?: string): Promise<{ ms: number; bytes: number; lines: number }> {
  const t0 = performance.now();
  const res = await fetch(`${url}/metrics`, accept ? { headers: { accept } } : {});
  const text = await res.text();
  return { ms: performance.now() - t0, bytes: text.length, lines: text.split('\n').length };
}

// Baseline: the same per-server families through prom-client labelled gauges, set from the snapshot and rendered.
const registry = new Registry();
const names = [
  'up',
  'last_heartbeat_timestamp_seconds',
  'cpu_ratio',
  'memory_total_bytes',
  'memory_free_bytes',
  'load1',
  'load5',
  'load15',
  'process_cpu_ratio',
  'process_resident_memory_bytes',
  'process_heap_used_bytes',
  'process_uptime_seconds',
];
const gauges = names.map((n) => new Gauge({ name: `base_${n}`, help: n, labelNames: ['app', 'server'], registers: [registry] }));
const disks = ['total', 'free'].map(
  (n) => new Gauge({ name: `base_disk_${n}_bytes`, help: n, labelNames: ['app', 'server', 'mount'], registers: [registry] }),
);
const info = new Gauge({
  name: 'base_info',
  help: 'info',
  labelNames: ['app', 'server', 'hostname', 'platform', 'runtime', 'environment', 'version'],
  registers: [registry],
});
async function baseline(): Promise<number> {
  const t0 = performance.now();
  for (const g of [...gauges, ...disks, info]) g.reset();
  for (const app of monitor.getAggregateMetrics().apps) {
    for (const s of app.servers) {
      const hb = s.heartbeat;
      const l = { app: s.app, server: s.id };
      const values = [
        s.status === 'online' ? 1 : 0,
        hb.timestamp / 1000,
        hb.system.cpu_usage / 100,
        hb.system.memory_total,
        hb.system.memory_free,
        ...hb.system.load_avg,
        hb.process.cpu_usage / 100,
        hb.process.memory_rss,
        hb.process.memory_heap,
        hb.process.uptime,
      ];
      for (const [i, g] of gauges.entries()) g.set(l, values[i] as number);
      for (const d of hb.system.disks ?? []) {
        disks[0]?.set({ ...l, mount: d.mount }, d.total);
        disks[1]?.set({ ...l, mount: d.mount }, d.free);
      }
      info.set(
        {
          ...l,
          hostname: hb.system.hostname,
          platform: hb.system.platform,
          runtime: hb.meta.runtime,
          environment: hb.meta.environment,
          version: hb.meta.version,
        },
        1,
      );
    }
  }
  await registry.metrics();
  return performance.now() - t0;
}

const fresh: number[] = [];
const renderBlock: number[] = [];
const cached: number[] = [];
const openMetrics: number[] = [];
const base: number[] = [];
let size = { bytes: 0, lines: 0 };
await scrape(); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  await writeHeartbeats(); // every server changed,
  await monitor.tick(); // and a new snapshot: the next scrape renders it all
  // The bridge's own part of a first scrape, without this process's HTTP client: the longest the loop was held.
  renderBlock.push((await timeWithLoopBlock(() => bridge.metrics.scrape(false))).maxBlockMs);
  await monitor.tick();
  const first = await scrape();
  fresh.push(first.ms);
  size = first;
  cached.push((await scrape()).ms);
  openMetrics.push((await scrape('application/openmetrics-text; version=1.0.0')).ms);
  base.push(await baseline());
}
console.log(
  `/metrics at ${SERVERS} servers (${APPS} apps, 2 disks each): ${(size.bytes / 1e6).toFixed(1)} MB, ${size.lines} lines; ${ROUNDS} rounds, medians:`,
);
console.log(`  first scrape of a new snapshot (renders it)       ${median(fresh).toFixed(1).padStart(7)} ms`);
console.log(
  `  longest event-loop block while rendering one       ${median(renderBlock).toFixed(1).padStart(7)} ms (worst round ${Math.max(...renderBlock).toFixed(1)} ms)`,
);
console.log(`  next scrape of the same snapshot                  ${median(cached).toFixed(1).padStart(7)} ms`);
console.log(`  OpenMetrics scrape of the same snapshot           ${median(openMetrics).toFixed(1).padStart(7)} ms`);
console.log(`  baseline: prom-client labelled gauges, set+render ${median(base).toFixed(1).padStart(7)} ms (server families only)`);
console.log(`  first scrape / baseline: ${(median(fresh) / median(base)).toFixed(2)}×`);
await bridge.stop();
await redis.stop();
process.exit(0);
