// Period views (issue 23): what history costs.
// 1. The poll at 10,000 servers (100 apps, each with new slow entries and exceptions every round) with history
//    off and on, side by side and alternated in one run, in the bridge's and Redis's CPU time; with history on,
//    its work after the poll (sampling, counting pass, writes) and a bucket close (every server's figures written
//    for 4 periods, once a minute) measured on their own.
// 2. Redis memory for 7 days at 1,000 servers and 1,000 distinct routes, written as full buckets of every period,
//    next to what keeping only 1-minute buckets for 7 days would take.
// 3. The write cost of counting into every period (4 buckets per entry) against only the smallest one, and of the
//    same pass as a transaction (WATCH and MULTI/EXEC, where Redis refuses scripts) against the script.
//   node --expose-gc --import tsx bench/bridge-history.ts [poll]   (poll: only 1)

import { performance } from 'node:perf_hooks';
import {
  EXCEPTION_GROUPS_FIELD,
  errorsKey,
  exceptionField,
  HEALTH_FIELD,
  HISTORY_PERIODS,
  type HistoryPeriod,
  heartbeatKey,
  historyBucketKey,
  historyBucketStart,
  historyPeriodSpan,
  historyQueuesKey,
  historyServersKey,
  queueField,
  SLOW_GROUPS_FIELD,
  slowField,
  slowKey,
  slowStreamFields,
} from '@gravito/pulse-protocol';
import { startRedis } from '@gravito/pulse-testkit';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { applyPass } from '../bridge/src/monitor/history/apply-script.js';
import { BucketDeltas } from '../bridge/src/monitor/history/bucket-deltas.js';
import { HISTORY_DEFAULTS } from '../bridge/src/monitor/history/history-options.js';
import { HistoryService } from '../bridge/src/monitor/history/history-service.js';
import { applyPassWatched } from '../bridge/src/monitor/history/watched-apply.js';
import { MonitorService } from '../bridge/src/monitor/monitor-service.js';
import { connectRedis } from '../bridge/src/redis/connection.js';
import { TransactionLanes } from '../bridge/src/redis/transaction-lanes.js';
import { heartbeatTemplate, inPipelines } from './lib/bridge-setup.js';
import { median } from './lib/median.js';
import { redisCpuMs } from './lib/redis-cpu.js';

const SERVERS = 10_000;
const APPS = 100;
const ROUNDS = 8;
const SLOW_PER_APP_PER_ROUND = 10;
const log = pino({ level: 'silent' });

const template = heartbeatTemplate();
delete template.system.disks;

const redis = await startRedis();
const client = redis.client();
console.log(`redis: ${redis.source} ${redis.url}`);

async function writeHeartbeats(round: number): Promise<void> {
  await inPipelines(client, SERVERS, (p, i) => {
    const hb = structuredClone(template);
    hb.timestamp = Date.now();
    hb.meta.app_name = `app-${i % APPS}`;
    hb.meta.instance_id = `server-${i}`;
    hb.process.uptime = 3600 + round;
    hb.system.cpu_usage = (i + round) % 100;
    p.set(heartbeatKey(`app-${i % APPS}`, `server-${i}`), JSON.stringify(hb), 'EX', 300);
  });
}

const slowVector = {
  kind: 'request',
  name: 'GET /r',
  duration_ms: 1500,
  threshold_ms: 1000,
  timestamp: Date.now(),
  server_id: 's-1',
} as const;
async function writeEntries(round: number): Promise<void> {
  const p = client.pipeline();
  for (let a = 0; a < APPS; a++) {
    for (let j = 0; j < SLOW_PER_APP_PER_ROUND; j++) {
      const entry = {
        ...slowVector,
        name: `GET /route-${j}`,
        timestamp: Date.now(),
        span_id: `${round}${a}${j}`.padStart(16, '0').slice(-16),
      };
      p.xadd(slowKey(`app-${a}`), 'MAXLEN', '~', 1_000, '*', ...slowStreamFields(entry as never));
    }
    const at = Date.now() - 20_000; // past the settle time: counted by this round's pass
    const error = {
      id: `e${round}x${a}`.padEnd(8, '0'),
      type: 'TypeError',
      message: 'x',
      fingerprint: `${(a % 16).toString(16)}0f0f0f0`,
      timestamp: at,
      server_id: 's-1',
    };
    p.zadd(errorsKey(`app-${a}`), at, JSON.stringify(error));
  }
  await p.exec();
}

// ---- 1. The poll with history off and on ----
function monitor() {
  const handle = connectRedis(redis.url, { timeoutMs: 10_000 });
  const m = new MonitorService(handle, { intervalMs: 2_000, lostAfterMs: 15_000, forgetAfterMs: 600_000, tickTimeoutMs: 10_000 }, log);
  return { handle, monitor: m };
}

// `ticks none|off|on|sample`: only the same setup and 3 polls (none: no poll), one monitor, for instruction counts
// that this machine's noise does not move: `valgrind --tool=callgrind node --import tsx bench/bridge-history.ts ticks
// on`; (on − none) / (off − none) is history's cost per poll, counting pass included (sample: without it).
if (process.argv[2] === 'ticks') {
  const mode = process.argv[3] ?? 'off';
  const one = monitor();
  const counting =
    mode === 'on' || mode === 'sample' ? new HistoryService(one.handle, { ...HISTORY_DEFAULTS, maxServers: SERVERS }, log) : undefined;
  // `sample`: history's work inside the poll only, its counting passes left out.
  if (mode === 'sample') Object.assign((counting as unknown as { counter: object }).counter, { countApps: async () => {} });
  if (counting) one.monitor.subscribe({ snapshot: (s) => counting.snapshot(s), slow: (e) => counting.slow(e) });
  await new Promise((r) => setTimeout(r, 200));
  for (let round = 0; round < 3; round++) {
    await writeHeartbeats(round);
    await writeEntries(round);
    if (mode === 'none') continue;
    await one.monitor.tick();
    await counting?.settled();
  }
  await one.monitor.stop();
  await one.handle.close();
  await redis.stop();
  process.exit(0);
}
const off = monitor();
const on = monitor();
const history = new HistoryService(on.handle, { ...HISTORY_DEFAULTS, maxServers: SERVERS }, log);
// What history adds inside the poll: its snapshot listener, timed on its own (the sampling runs after it, in slices).
const inPollMs: number[] = [];
on.monitor.subscribe({
  snapshot: (s) => {
    const t0 = performance.now();
    history.snapshot(s);
    inPollMs.push(performance.now() - t0);
  },
  slow: (events) => history.slow(events),
});
await writeHeartbeats(0);
await writeEntries(0);
await new Promise((r) => setTimeout(r, 200));
for (let i = 0; i < 2; i++) {
  await off.monitor.tick();
  await on.monitor.tick();
  await history.settled();
}

interface Round {
  offMs: number;
  onMs: number;
  /** This process's CPU time (user + system) in the tick, and Redis's. */
  offCpuMs: number;
  onCpuMs: number;
  offRedisMs: number;
  onRedisMs: number;
  /** History off: collecting the tick's garbage, after it. */
  offGcCpuMs: number;
  /** History on: its work after the tick (sampling, counting pass, writes) and collecting the garbage of both. */
  passMs: number;
  passCpuMs: number;
  passRedisMs: number;
}
/** This process's CPU time so far (user + system), in ms: on a shared machine, what wall time does not isolate. */
const bridgeCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
// Both monitors share this process's heap: each side's garbage is collected right after it (and counted to it),
// so that no tick pays for the garbage of the writers or of the other side.
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench does)');
const rounds: Round[] = [];
inPollMs.length = 0;
for (let round = 1; round <= ROUNDS; round++) {
  await writeHeartbeats(round);
  await writeEntries(round);
  gc();
  const r: Round = {
    offMs: 0,
    onMs: 0,
    offCpuMs: 0,
    onCpuMs: 0,
    offRedisMs: 0,
    onRedisMs: 0,
    offGcCpuMs: 0,
    passMs: 0,
    passCpuMs: 0,
    passRedisMs: 0,
  };
  // Alternated, so that neither always runs first after the writes.
  const order = round % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
  for (const which of order) {
    const redis0 = await redisCpuMs(client);
    const cpu0 = bridgeCpuMs();
    const t0 = performance.now();
    await (which === 'off' ? off : on).monitor.tick();
    const ms = performance.now() - t0;
    const cpuMs = bridgeCpuMs() - cpu0;
    const redisMs = (await redisCpuMs(client)) - redis0;
    if (which === 'off') {
      Object.assign(r, { offMs: ms, offCpuMs: cpuMs, offRedisMs: redisMs });
      const gc0 = bridgeCpuMs();
      gc();
      r.offGcCpuMs = bridgeCpuMs() - gc0;
    } else {
      Object.assign(r, { onMs: ms, onCpuMs: cpuMs, onRedisMs: redisMs });
      const passRedis0 = await redisCpuMs(client);
      const passCpu0 = bridgeCpuMs();
      const p0 = performance.now();
      await history.settled();
      r.passMs = performance.now() - p0;
      gc();
      r.passCpuMs = bridgeCpuMs() - passCpu0;
      r.passRedisMs = (await redisCpuMs(client)) - passRedis0;
    }
  }
  rounds.push(r);
}
const counted = history.counts.values;
if (counted.slow_counted < APPS * SLOW_PER_APP_PER_ROUND * ROUNDS) throw new Error(`history counted ${counted.slow_counted} slow entries`);

// A bucket close: the poll in the next minute writes every server's figures of the minute, and folds them into
// the open 6 h, 24 h and 7 d buckets (4 writes per server).
const last = on.monitor.lastSnapshot();
const nextMinute = { ...last, event: { ...last.event, timestamp: last.event.timestamp + 60_000 } };
const close0 = performance.now();
history.snapshot(nextMinute);
const closeSyncMs = performance.now() - close0;
const closeCpu0 = await redisCpuMs(client);
await history.settled();
const closeMs = performance.now() - close0;
const closeRedisMs = (await redisCpuMs(client)) - closeCpu0;

const f = (x: number) => `${x.toFixed(1)} ms`;
const med = (pick: (r: Round) => number) => median(rounds.map(pick));
console.log(
  `\n1. Poll at ${SERVERS} servers, ${APPS} apps, ${APPS * SLOW_PER_APP_PER_ROUND} slow entries and ${APPS} exceptions per round, ${ROUNDS} rounds alternated (medians):`,
);
const ratio = (on: (r: Round) => number, off: (r: Round) => number) => `${(med(on) / med(off)).toFixed(3)}×`;
console.log(
  `  tick, history off             ${f(med((r) => r.offMs))} wall, ${f(med((r) => r.offCpuMs))} bridge CPU, ${f(med((r) => r.offRedisMs))} Redis CPU`,
);
console.log(
  `  tick, history on              ${f(med((r) => r.onMs))} wall, ${f(med((r) => r.onCpuMs))} bridge CPU, ${f(med((r) => r.onRedisMs))} Redis CPU`,
);
console.log(
  `  ratio on/off                  ${ratio(
    (r) => r.onMs,
    (r) => r.offMs,
  )} wall, ${ratio(
    (r) => r.onCpuMs,
    (r) => r.offCpuMs,
  )} bridge CPU, ${ratio(
    (r) => r.onRedisMs,
    (r) => r.offRedisMs,
  )} Redis CPU`,
);
console.log(
  `  tick + work after it (history's; and collecting the garbage), on/off  ${ratio(
    (r) => r.onCpuMs + r.passCpuMs,
    (r) => r.offCpuMs + r.offGcCpuMs,
  )} bridge CPU, ${ratio(
    (r) => r.onRedisMs + r.passRedisMs,
    (r) => r.offRedisMs,
  )} Redis CPU`,
);
console.log(`  collecting the garbage after the tick, history off: ${f(med((r) => r.offGcCpuMs))} bridge CPU`);
console.log(`  per-round bridge CPU ratios on/off: ${rounds.map((r) => (r.onCpuMs / r.offCpuMs).toFixed(2)).join(' ')}`);
console.log(`  history's work inside the poll (its snapshot listener): ${f(median(inPollMs))} median, ${f(Math.max(...inPollMs))} worst`);
console.log(
  `  after the tick (sampling ${SERVERS} servers in slices, counting pass, writes) ${f(med((r) => r.passMs))} wall, ${f(med((r) => r.passCpuMs))} bridge CPU, ${f(med((r) => r.passRedisMs))} Redis CPU, off the poll`,
);
console.log(`  bucket close (once a minute): ${f(closeSyncMs)} in the poll, ${f(closeMs)} until written (Redis CPU ${f(closeRedisMs)})`);
for (const m of [off, on]) {
  await m.monitor.stop();
  await m.handle.close();
}
// `poll`: only the above.
if (process.argv[2] === 'poll') {
  await redis.stop();
  process.exit(0);
}

// ---- 2. Redis memory: 7 days at 1,000 servers and 1,000 distinct routes ----
await client.flushall();
const MEM_APPS = 10;
const SERVERS_PER_APP = 100;
const ROUTES_PER_APP = 100;
const FINGERPRINTS_PER_BUCKET = 20;
const QUEUES_PER_APP = 5;
const now = Date.now();
const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1]);
const serverValue = (i: number) =>
  JSON.stringify({ cpu: [1234.5 + i, 30, 88.25], mem: [123456789012 + i, 30, 4567890123], loop: [123.45, 30, 12.5] });
const slowValue = (i: number) => JSON.stringify([12 + i, 18234.5 + i, 2300.25]);
const exceptionValue = (i: number) =>
  JSON.stringify({
    count: 3,
    type: 'TypeError',
    message: `Cannot read properties of undefined (reading 'id') #${i}`,
    last_seen: now,
    servers: ['web-1', 'web-2'],
  });

/** Writes every bucket of `period` (60, or `buckets`) for every app, as full as the caps allow here. */
async function writeBuckets(period: HistoryPeriod, bucketsOverride?: number, bucketMsOverride?: number): Promise<number> {
  const span = historyPeriodSpan(period);
  const bucketMs = bucketMsOverride ?? span.bucketMs;
  const buckets = bucketsOverride ?? 60;
  let keys = 0;
  for (let a = 0; a < MEM_APPS; a++) {
    const app = `mem-app-${a}`;
    await inPipelines(
      client as Redis,
      buckets,
      (p, b) => {
        const start = historyBucketStart(now, bucketMs) - b * bucketMs;
        const bucket: Record<string, string> = {
          [SLOW_GROUPS_FIELD]: String(ROUTES_PER_APP),
          [EXCEPTION_GROUPS_FIELD]: String(FINGERPRINTS_PER_BUCKET),
        };
        for (let r = 0; r < ROUTES_PER_APP; r++) bucket[slowField('request', `GET /api/v1/resource-${a}-${r}/:id`)] = slowValue(r);
        for (let e = 0; e < FINGERPRINTS_PER_BUCKET; e++) bucket[exceptionField(`${a}${e}`.padEnd(8, 'f'))] = exceptionValue(e);
        bucket[HEALTH_FIELD] = JSON.stringify({ health_sum: 2910, health_n: 30, online: 100, lost: 0 });
        const servers: Record<string, string> = {};
        for (let s = 0; s < SERVERS_PER_APP; s++) servers[`web-${a}-${s}-4242`] = serverValue(s);
        const queues: Record<string, string> = {};
        for (let q = 0; q < QUEUES_PER_APP; q++) queues[queueField('redis', `queue-${q}`)] = JSON.stringify([120.5, 30, 12]);
        const expireAt = start + 8 * 86_400_000;
        for (const [key, fields] of [
          [historyBucketKey(app, period, start), bucket],
          [historyServersKey(app, period, start), servers],
          [historyQueuesKey(app, period, start), queues],
        ] as const) {
          p.hset(key, fields);
          p.pexpireat(key, expireAt);
          keys++;
        }
      },
      20,
    );
  }
  return keys;
}
const before = await usedMemory();
let keys = 0;
const perPeriod: string[] = [];
for (const period of HISTORY_PERIODS) {
  const m0 = await usedMemory();
  keys += await writeBuckets(period);
  perPeriod.push(`${period} ${((await usedMemory()) - m0) / 1e6 > 0 ? (((await usedMemory()) - m0) / 1e6).toFixed(1) : '?'} MB`);
}
const allPeriods = (await usedMemory()) - before;
// The alternative: only 1-minute buckets, 7 days of them (10,080 per app), summed at read time. Measured on
// 600 buckets (10 h) and scaled.
await client.flushall();
const altBefore = await usedMemory();
await writeBuckets('1h', 600, 60_000);
const smallestOnly = (((await usedMemory()) - altBefore) * 10_080) / 600;
console.log(
  `\n2. Redis memory, 7 days at ${MEM_APPS * SERVERS_PER_APP} servers and ${MEM_APPS * ROUTES_PER_APP} routes (${MEM_APPS} apps; ${FINGERPRINTS_PER_BUCKET} exception groups and ${QUEUES_PER_APP} queues per app and bucket, every bucket full):`,
);
console.log(`  every period written (4 × 60 buckets, ${keys} keys): ${(allPeriods / 1e6).toFixed(1)} MB   (${perPeriod.join(', ')})`);
console.log(`  only 1-minute buckets for 7 days (10,080 × 3 keys per app), scaled from 600: ${(smallestOnly / 1e6).toFixed(0)} MB`);

// ---- 3. Write cost: one pass counted into 4 periods, or into the smallest only ----
await client.flushall();
const handle = connectRedis(redis.url, { timeoutMs: 10_000 });
await new Promise((r) => setTimeout(r, 200));
const PASSES = 40;
const passEntries = (periods: HistoryPeriod[], app: string) => {
  const deltas = new BucketDeltas(app, periods, 1, Date.now());
  for (let i = 0; i < 1_000; i++) {
    deltas.addSlow({ ...slowVector, name: `GET /route-${i % 100}`, duration_ms: 1000 + i } as never, Date.now());
    if (i % 10 === 0)
      deltas.addException(
        {
          id: 'abcdefgh',
          type: 'E',
          message: 'm',
          fingerprint: `${(i % 50).toString(16)}`.padEnd(8, 'a'),
          timestamp: Date.now(),
          server_id: 's',
        },
        Date.now(),
      );
  }
  return [...deltas.values()];
};
const lanes = new TransactionLanes(handle, 'pulse-bench-history');
const LEGS = [
  ['every', [...HISTORY_PERIODS], false],
  ['smallest', ['1h'], false],
  ['transaction', [...HISTORY_PERIODS], true],
] as const;
type Cost = { redisMs: number[]; cpuMs: number[]; ms: number[] };
const cost: Record<(typeof LEGS)[number][0], Cost> = {
  every: { redisMs: [], cpuMs: [], ms: [] },
  smallest: { redisMs: [], cpuMs: [], ms: [] },
  transaction: { redisMs: [], cpuMs: [], ms: [] },
};
for (let i = 0; i < PASSES; i++) {
  for (const [name, periods, watched] of i % 2 === 0 ? LEGS : [...LEGS].reverse()) {
    const app = `cost-${name}-${i}`;
    const buckets = passEntries([...periods], app);
    const move = { expected: { slow: '', errors: '' }, next: { slow: '1-0', errors: '' }, ttlMs: 60_000 };
    const caps = { slowGroups: 200, exceptionGroups: 200 };
    const redis0 = await redisCpuMs(client);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const applied = watched
      ? await applyPassWatched(lanes, app, buckets, move, caps)
      : await applyPass(handle.client, app, buckets, move, caps);
    cost[name].ms.push(performance.now() - t0);
    const cpu = process.cpuUsage(cpu0);
    cost[name].cpuMs.push((cpu.user + cpu.system) / 1000);
    cost[name].redisMs.push((await redisCpuMs(client)) - redis0);
    if (!applied.applied) throw new Error(`${name}: pass ${i} not applied`);
  }
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(
  `\n3. One counting pass of 1,000 slow entries (100 routes) and 100 exceptions (50 fingerprints), mean of ${PASSES}, legs alternated:`,
);
console.log(
  `  into every period (4 buckets): Redis CPU ${mean(cost.every.redisMs).toFixed(2)} ms; into 1-minute buckets only: ${mean(cost.smallest.redisMs).toFixed(2)} ms`,
);
const byScript = (f: (c: Cost) => number[]) => (mean(f(cost.transaction)) / mean(f(cost.every))).toFixed(2);
console.log(
  `  every period, as a transaction (Redis refusing scripts) against the script: Redis CPU ${mean(cost.transaction.redisMs).toFixed(2)} against ${mean(cost.every.redisMs).toFixed(2)} ms (${byScript((c) => c.redisMs)}×), bridge CPU ${mean(cost.transaction.cpuMs).toFixed(2)} against ${mean(cost.every.cpuMs).toFixed(2)} ms (${byScript((c) => c.cpuMs)}×), time ${mean(cost.transaction.ms).toFixed(2)} against ${mean(cost.every.ms).toFixed(2)} ms (${byScript((c) => c.ms)}×)`,
);
lanes.close();
await handle.close();
await redis.stop();
process.exit(0);
