// /metrics at scale, two phases (`--only servers` or `--only queues` runs one):
// - servers: 10,000 servers; the bridge's scrape next to the same series through prom-client labelled gauges
//   (the idiomatic baseline), in one run;
// - queues: Zenith agents with queues at and past the caps (issue 22: 4,000 agents, one service each, 100 queues
//   of 200-character names): every scrape's render, its longest event-loop block, and its size.
//   node --import tsx bench/bridge-scrape.ts [--only servers|queues] [--servers 10000] [--agents 4000] [--queues 100]
//     [--name-chars 200]
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { heartbeatKey, type PulseNode, quasarNodeKey } from '@gravito/pulse-protocol';
import { startRedis } from '@gravito/pulse-testkit';
import { pino } from 'pino';
import { Gauge, Registry } from 'prom-client';
import { assembleBridge } from '../bridge/src/assemble.js';
import { heartbeatTemplate, inPipelines } from './lib/bridge-setup.js';
import { timeWithLoopBlock } from './lib/loop-block.js';
import { median } from './lib/median.js';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    servers: { type: 'string', default: '10000' },
    agents: { type: 'string', default: '4000' },
    queues: { type: 'string', default: '100' },
    'name-chars': { type: 'string', default: '200' },
  },
});
const SERVERS = Number(args.servers);
const APPS = 100;
const ROUNDS = 9;
const template = heartbeatTemplate();

async function scrape(url: string, accept?: string): Promise<{ ms: number; bytes: number; lines: number }> {
  const t0 = performance.now();
  const res = await fetch(`${url}/metrics`, accept ? { headers: { accept } } : {});
  const text = await res.text();
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return { ms: performance.now() - t0, bytes: Buffer.byteLength(text), lines: text.split('\n').length };
}

async function servers(): Promise<void> {
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
          ...(hb.system.load_avg ?? [Number.NaN, Number.NaN, Number.NaN]),
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
  const renderCpuBlock: number[] = [];
  const cached: number[] = [];
  const openMetrics: number[] = [];
  const base: number[] = [];
  let size = { bytes: 0, lines: 0 };
  await scrape(url); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    await writeHeartbeats(); // every server changed,
    await monitor.tick(); // and a new snapshot: the next scrape renders it all
    // The bridge's own part of a first scrape, without this process's HTTP client: the longest the loop was held.
    const rendered = await timeWithLoopBlock(() => bridge.metrics.scrape(false));
    renderBlock.push(rendered.maxBlockMs);
    renderCpuBlock.push(rendered.maxCpuBlockMs);
    await monitor.tick();
    const first = await scrape(url);
    fresh.push(first.ms);
    size = first;
    cached.push((await scrape(url)).ms);
    openMetrics.push((await scrape(url, 'application/openmetrics-text; version=1.0.0')).ms);
    base.push(await baseline());
  }
  console.log(
    `/metrics at ${SERVERS} servers (${APPS} apps, 2 disks each): ${(size.bytes / 1e6).toFixed(1)} MB, ${size.lines} lines; ${ROUNDS} rounds, medians:`,
  );
  console.log(`  first scrape of a new snapshot (renders it)       ${median(fresh).toFixed(1).padStart(7)} ms`);
  console.log(
    `  longest event-loop block while rendering one       ${median(renderBlock).toFixed(1).padStart(7)} ms (worst round ${Math.max(...renderBlock).toFixed(1)} ms)`,
  );
  console.log(
    `    of which on a CPU                                ${median(renderCpuBlock).toFixed(1).padStart(7)} ms (worst round ${Math.max(...renderCpuBlock).toFixed(1)} ms)`,
  );
  console.log(`  next scrape of the same snapshot                  ${median(cached).toFixed(1).padStart(7)} ms`);
  console.log(`  OpenMetrics scrape of the same snapshot           ${median(openMetrics).toFixed(1).padStart(7)} ms`);
  console.log(`  baseline: prom-client labelled gauges, set+render ${median(base).toFixed(1).padStart(7)} ms (server families only)`);
  console.log(`  first scrape / baseline: ${(median(fresh) / median(base)).toFixed(2)}×`);
  await bridge.stop();
  await redis.stop();
}

/** Zenith's Node agent watching queues, from the protocol's vectors: the bench's agents are copies of it. */
const agentVector: PulseNode = JSON.parse(readFileSync(new URL('../protocol/vectors/pulse-node.json', import.meta.url), 'utf8')).cases.find(
  (c: { why: string }) => /Node agent watching queues/.test(c.why),
).value;

async function queues(): Promise<void> {
  const agents = Number(args.agents);
  const perAgent = Number(args.queues);
  const nameChars = Number(args['name-chars']);
  const redis = await startRedis();
  const client = redis.client();
  const now = Date.now();
  await inPipelines(
    client,
    agents,
    (p, i) => {
      const node: PulseNode = {
        ...structuredClone(agentVector),
        service: `svc-${String(i).padStart(5, '0')}`,
        id: `w-${i}`,
        timestamp: now,
        queues: Array.from({ length: perAgent }, (_, q) => ({
          name: `${'q'.repeat(Math.max(0, nameChars - 6))}-${String(q).padStart(5, '0')}`,
          driver: 'redis' as const,
          size: { waiting: q, active: 1, failed: 0, delayed: 2 },
          throughput: { in: 60, out: 30 },
        })),
      };
      p.set(quasarNodeKey(node.service, node.id), JSON.stringify(node), 'EX', 3_600);
    },
    250,
  );
  const bridge = assembleBridge(
    { redisUrl: redis.url, port: 0, lostAfterMs: 3_600_000, redisTimeoutMs: 5_000 },
    { logger: pino({ level: 'silent' }), unsafeIntervalMs: 3_600_000 },
  );
  const { url } = await bridge.start();
  const { monitor } = bridge;
  // Until the reader keeps as many agents two polls in a row (its own caps decide how many).
  let read = -1;
  while (monitor.agents.counts.nodes !== read || read <= 0) {
    read = monitor.agents.counts.nodes;
    await new Promise((r) => setTimeout(r, 100));
    await monitor.tick();
  }
  const render: Awaited<ReturnType<typeof timeWithLoopBlock>>[] = [];
  const poll: Awaited<ReturnType<typeof timeWithLoopBlock>>[] = [];
  const http: number[] = [];
  let size = { bytes: 0, lines: 0 };
  await scrape(url); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    poll.push(await timeWithLoopBlock(() => monitor.tick())); // a new snapshot: the next scrape renders it
    render.push(await timeWithLoopBlock(() => bridge.metrics.scrape(false)));
    const served = await scrape(url); // the same snapshot, over HTTP
    http.push(served.ms);
    size = served;
  }
  const text = await (await fetch(`${url}/metrics`)).text();
  const count = (pattern: RegExp) => (text.match(pattern) ?? []).length;
  const value = (series: string) =>
    text
      .split('\n')
      .find((l) => l.startsWith(`${series} `))
      ?.slice(series.length + 1) ?? '0';
  const ms = (xs: number[]) => `${median(xs).toFixed(1).padStart(7)} ms (worst ${Math.max(...xs).toFixed(1)})`;
  console.log(
    `/metrics with ${agents} agents × ${perAgent} queues of ${nameChars} characters; ${read} agents kept by the reader, ${count(/^pulse_queue_jobs\{.*state="waiting"/gm)} queues exported; ${(size.bytes / 1e6).toFixed(1)} MB, ${size.lines} lines; ${ROUNDS} rounds, medians:`,
  );
  console.log(
    `  cap_reached queue_apps ${value('pulse_bridge_cap_reached_total{cap="queue_apps"}')}, queues ${value('pulse_bridge_cap_reached_total{cap="queues"}')}`,
  );
  console.log(`  render of a new snapshot (in process)              ${ms(render.map((r) => r.ms))}`);
  console.log(`  longest event-loop block while it renders          ${ms(render.map((r) => r.maxBlockMs))}`);
  console.log(`    of which on a CPU (the rest: waiting for a core) ${ms(render.map((r) => r.maxCpuBlockMs))}`);
  console.log(`  scrape of the same snapshot over HTTP              ${ms(http)}`);
  console.log(`  for scale, the poll: longest block                 ${ms(poll.map((r) => r.maxBlockMs))}`);
  console.log(`    of which on a CPU                                ${ms(poll.map((r) => r.maxCpuBlockMs))}`);
  await bridge.stop();
  await redis.stop();
}

if (args.only !== 'queues') await servers();
if (args.only !== 'servers') await queues();
process.exit(0);
