// Bridge aggregation tick at 10,000 heartbeats among 100,000 keys, next to the raw SCAN + MGET floor, in one run.
// Also the longest event-loop block during each, with the main thread's time on a CPU within it (the rest of a
// block is waiting for a core: Redis shares this machine), and where the time went: how long this process's event
// loop was busy, and how much CPU Redis used (INFO cpu).
//   node --import tsx bench/bridge-tick.ts

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { errorsKey, HEARTBEAT_SCAN_PATTERN, heartbeatKey, slowKey, slowStreamFields } from '@gravito/pulse-protocol';
import { startRedis } from '@gravito/pulse-testkit';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { MonitorService } from '../bridge/src/monitor/monitor-service.js';
import { documentBytes } from '../bridge/src/monitor/snapshot-encoding.js';
import { connectRedis } from '../bridge/src/redis/connection.js';
import { heartbeatTemplate, inPipelines } from './lib/bridge-setup.js';
import { timeWithLoopBlock } from './lib/loop-block.js';
import { median } from './lib/median.js';
import { redisCpuMs } from './lib/redis-cpu.js';

const SERVERS = 10_000;
const OTHER_KEYS = 90_000;
const APPS = 100;
const ROUNDS = 7;

const template = heartbeatTemplate();
delete template.system.disks; // ~600 B, as in the reference figures

function heartbeatJson(app: string, id: string, round: number): string {
  const hb = structuredClone(template);
  hb.timestamp = Date.now();
  hb.meta.app_name = app;
  hb.meta.instance_id = id;
  hb.process.uptime = 3600 + round;
  return JSON.stringify(hb);
}

async function writeHeartbeats(client: Redis, round: number): Promise<number> {
  let bytes = 0;
  await inPipelines(client, SERVERS, (p, i) => {
    const value = heartbeatJson(`app-${i % APPS}`, `server-${i}`, round);
    bytes += value.length;
    p.set(heartbeatKey(`app-${i % APPS}`, `server-${i}`), value, 'EX', 300);
  });
  return bytes / SERVERS;
}

type Measured = Awaited<ReturnType<typeof timeWithLoopBlock>> & {
  /** This process's event loop busy (the bridge's main thread, or the floor's client). */
  busyMs: number;
  redisCpuMs: number;
};

async function measure(fn: () => Promise<unknown>): Promise<Measured> {
  const redisBefore = await redisCpuMs(client);
  const loopBefore = performance.eventLoopUtilization();
  const timed = await timeWithLoopBlock(fn);
  const busyMs = performance.eventLoopUtilization(loopBefore).active;
  return { ...timed, busyMs, redisCpuMs: (await redisCpuMs(client)) - redisBefore };
}

const redis = await startRedis();
const client = redis.client();
console.log(`redis: ${redis.source} ${redis.url}`);
await inPipelines(client, OTHER_KEYS, (p, i) => p.set(`cache:session:${i}`, `v${i}`), 5_000);
for (let a = 0; a < APPS; a++) {
  await client.xadd(
    slowKey(`app-${a}`),
    '*',
    ...slowStreamFields(JSON.parse(readFileSync(new URL('../protocol/vectors/slow-entry.json', import.meta.url), 'utf8')).cases[0].value),
  );
  await client.zadd(
    errorsKey(`app-${a}`),
    Date.now(),
    JSON.stringify({
      ...JSON.parse(readFileSync(new URL('../protocol/vectors/error-entry.json', import.meta.url), 'utf8')).cases[0].value,
      timestamp: Date.now(),
    }),
  );
}
const avgBytes = await writeHeartbeats(client, 0);
console.log(
  `keys: ${await client.dbsize()} (${SERVERS} heartbeats of ~${Math.round(avgBytes)} B, ${APPS} apps, each with a slow stream and an error set)`,
);

const handle = connectRedis(redis.url, { timeoutMs: 5_000 });
await new Promise((r) => setTimeout(r, 200));
const monitor = new MonitorService(
  handle,
  { intervalMs: 2_000, lostAfterMs: 15_000, forgetAfterMs: 600_000, tickTimeoutMs: 10_000 },
  pino({ level: 'silent' }),
);

async function rawFloor(count = 1000): Promise<number> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', HEARTBEAT_SCAN_PATTERN, 'COUNT', count);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  let n = 0;
  for (let i = 0; i < keys.length; i += 500) n += (await client.mget(keys.slice(i, i + 500))).length;
  return n;
}

const floor: Measured[] = [];
const floor5000: Measured[] = [];
const floorParse: Measured[] = [];
const tickChanged: Measured[] = [];
const tickSame: Measured[] = [];
await monitor.tick(); // warm-up (JIT, connection)
for (let round = 1; round <= ROUNDS; round++) {
  await writeHeartbeats(client, round); // every heartbeat changed since the last tick: the worst case
  floor.push(await measure(() => rawFloor(1000)));
  floor5000.push(await measure(() => rawFloor(5000)));
  floorParse.push(
    await measure(async () => {
      // the naive reader: SCAN + MGET, then JSON.parse of every value in one go
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await client.scan(cursor, 'MATCH', HEARTBEAT_SCAN_PATTERN, 'COUNT', 1000);
        keys.push(...batch);
        cursor = next;
      } while (cursor !== '0');
      const values: (string | null)[] = [];
      for (let i = 0; i < keys.length; i += 500) values.push(...(await client.mget(keys.slice(i, i + 500))));
      for (const v of values) if (v) JSON.parse(v);
    }),
  );
  tickChanged.push(await measure(() => monitor.tick()));
  tickSame.push(await measure(() => monitor.tick()));
}
const snap = monitor.getAggregateMetrics();
const servers = snap.apps.reduce((n, a) => n + a.servers.length, 0);
if (servers !== SERVERS || !snap.redis_up) throw new Error(`tick saw ${servers} servers, redis_up ${snap.redis_up}`);

const ms = (x: number, width = 7) => `${x.toFixed(1).padStart(width)} ms`;
const row = (name: string, xs: Measured[]) =>
  console.log(
    `  ${name.padEnd(48)} ${ms(median(xs.map((x) => x.ms)))}   loop busy ${ms(median(xs.map((x) => x.busyMs)), 6)} (waiting for a core ${ms(median(xs.map((x) => x.waitMs)), 5)}), Redis CPU ${ms(
      median(xs.map((x) => x.redisCpuMs)),
      6,
    )}   longest block: median ${ms(median(xs.map((x) => x.maxBlockMs)), 5)}, worst ${ms(Math.max(...xs.map((x) => x.maxBlockMs)), 5)}` +
      `   on a CPU: median ${ms(median(xs.map((x) => x.maxCpuBlockMs)), 5)}, worst ${ms(Math.max(...xs.map((x) => x.maxCpuBlockMs)), 5)}`,
  );
console.log(
  `\n${ROUNDS} rounds, medians: time; this process's event loop busy (and how long its main thread waited for a core); Redis's CPU; longest event-loop block per round (GC pauses included), median and worst round; the longest time the main thread was on a CPU within one block:`,
);
row('raw floor: SCAN COUNT 1000 + MGET 500-chunks', floor);
row('raw floor: SCAN COUNT 5000 (the bridge) + MGET', floor5000);
row('naive: floor + JSON.parse all at once', floorParse);
row('bridge tick, all 10k heartbeats changed', tickChanged);
row('bridge tick, no heartbeat changed', tickSame);
const ratio = (a: Measured[], b: Measured[]) => (median(a.map((x) => x.ms)) / median(b.map((x) => x.ms))).toFixed(2);
console.log(`  tick / raw floor (COUNT 1000): all changed ${ratio(tickChanged, floor)}×, unchanged ${ratio(tickSame, floor)}×`);
console.log(`  tick / raw floor (COUNT 5000): all changed ${ratio(tickChanged, floor5000)}×, unchanged ${ratio(tickSame, floor5000)}×`);
const { document } = monitor.lastSnapshot();
console.log(`  system_pulse JSON (encoded by every tick): ${(documentBytes(document).length / 1e6).toFixed(1)} MB for ${servers} servers`);
await handle.close();
await redis.stop();
process.exit(0);
