// What the bridge's size-checked heartbeat read costs Redis, which the apps share: heartbeats of three sizes read in
// the bridge's 500-key chunks by a plain MGET (no bound: the floor), by the bridge's script (`boundedGetChunk`), and
// by its GETRANGE reads where Redis refuses scripts (an ACL user without @scripting). Rounds alternate the three.
// Reports Redis's own CPU (INFO cpu), the time, and how long one command holds Redis (INFO commandstats).
//   node --import tsx bench/bridge-bounded-read.ts

import { heartbeatKey, MAX_HEARTBEAT_BYTES } from '@gravito/pulse-protocol';
import { addUserWithoutScripts, asUserWithoutScripts, startRedis } from '@gravito/pulse-testkit';
import { boundedGetChunk } from '../bridge/src/redis/bounded-get.js';
import { connectRedis } from '../bridge/src/redis/connection.js';
import { MGET_CHUNK } from '../bridge/src/redis/read.js';
import { heartbeatTemplate, inPipelines } from './lib/bridge-setup.js';
import { median } from './lib/median.js';
import { redisCpuMs } from './lib/redis-cpu.js';

const ROUNDS = 12;

/** Heartbeat sizes: typical, with the protocol's 64 worker processes, and close to the 64 KiB bound. */
const template = heartbeatTemplate();
delete template.system.disks; // ~680 B, as in bench/bridge-tick.ts
const withProcesses = {
  ...template,
  processes: Array.from({ length: 64 }, (_, i) => ({
    pid: 1000 + i,
    name: `worker-${i}`,
    kind: 'cluster',
    cpu_usage: 1.5,
    memory_rss: 123456789,
  })),
};
const nearBound = { ...template, meta: { ...template.meta, version: 'x'.repeat(60_000) } };
const SIZES: [label: string, servers: number, heartbeat: object][] = [
  ['typical heartbeats', 10_000, template],
  ['64 worker processes each', 10_000, withProcesses],
  ['close to the 64 KiB bound', 1_000, nearBound],
];

const redis = await startRedis();
const client = redis.client();
await addUserWithoutScripts(client);
const withScripts = connectRedis(redis.url, { timeoutMs: 5_000 });
const withoutScripts = connectRedis(asUserWithoutScripts(redis.url), { timeoutMs: 5_000 });
await new Promise((r) => setTimeout(r, 300));

const FLOOR = 'MGET (no bound: the floor)';
const readers: [name: string, read: (chunk: string[]) => Promise<unknown>][] = [
  [FLOOR, (chunk) => client.mget(chunk)],
  ["the bridge's script", (chunk) => boundedGetChunk(withScripts, chunk, MAX_HEARTBEAT_BYTES)],
  ['GETRANGE, Redis refusing scripts', (chunk) => boundedGetChunk(withoutScripts, chunk, MAX_HEARTBEAT_BYTES)],
];

/** Redis's CPU so far (user + system, ms) and, per command, its calls and time. */
async function redisStats(): Promise<{ cpuMs: number; commands: Map<string, { calls: number; usec: number }> }> {
  const [cpuMs, stats] = await Promise.all([redisCpuMs(client), client.info('commandstats')]);
  const commands = new Map<string, { calls: number; usec: number }>();
  for (const [, name, calls, usec] of stats.matchAll(/cmdstat_([a-z|]+):calls=(\d+),usec=(\d+)/g)) {
    commands.set(name as string, { calls: Number(calls), usec: Number(usec) });
  }
  return { cpuMs, commands };
}

interface Measured {
  ms: number;
  redisCpuMs: number;
  /** The longest one command of this reader held Redis, on average per call: a script runs as one command. */
  perCallMs: number;
}

async function measure(chunks: string[][], read: (chunk: string[]) => Promise<unknown>): Promise<Measured> {
  const before = await redisStats();
  const t0 = performance.now();
  for (const chunk of chunks) await read(chunk);
  const ms = performance.now() - t0;
  const after = await redisStats();
  let perCallMs = 0;
  for (const [name, { calls, usec }] of after.commands) {
    const was = before.commands.get(name) ?? { calls: 0, usec: 0 };
    // The commands a script runs are counted inside its own time too; INFO is the bench's.
    if (calls > was.calls && !['info', 'get', 'strlen'].includes(name)) {
      perCallMs = Math.max(perCallMs, (usec - was.usec) / (calls - was.calls) / 1000);
    }
  }
  return { ms, redisCpuMs: after.cpuMs - before.cpuMs, perCallMs };
}

console.log(`in chunks of ${MGET_CHUNK} keys, as the bridge reads them; ${ROUNDS} rounds alternating the readers, medians:`);
for (const [label, servers, heartbeat] of SIZES) {
  await client.flushdb();
  const keys = Array.from({ length: servers }, (_, i) => heartbeatKey(`app-${i % 100}`, `server-${i}`));
  await inPipelines(client, servers, (p, i) => p.set(keys[i] as string, JSON.stringify({ ...heartbeat, timestamp: Date.now() + i })), 200);
  const chunks = Array.from({ length: Math.ceil(servers / MGET_CHUNK) }, (_, i) => keys.slice(i * MGET_CHUNK, (i + 1) * MGET_CHUNK));
  for (const [, read] of readers) for (const chunk of chunks) await read(chunk); // warm-up (connections, script cache, JIT)
  const results = new Map<string, Measured[]>(readers.map(([name]) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, read] of round % 2 ? readers : [...readers].reverse()) results.get(name)?.push(await measure(chunks, read));
  }
  const floorCpu = median((results.get(FLOOR) as Measured[]).map((x) => x.redisCpuMs));
  console.log(`${servers} heartbeats of ${JSON.stringify({ ...heartbeat, timestamp: Date.now() }).length} B (${label}):`);
  for (const [name, xs] of results) {
    const cpu = median(xs.map((x) => x.redisCpuMs));
    console.log(
      `  ${name.padEnd(34)} Redis CPU ${cpu.toFixed(1).padStart(6)} ms (${(cpu / floorCpu).toFixed(2)}×)` +
        `   time ${median(xs.map((x) => x.ms))
          .toFixed(1)
          .padStart(6)} ms   one command holds Redis ${median(xs.map((x) => x.perCallMs)).toFixed(3)} ms`,
    );
  }
}
await withScripts.close();
await withoutScripts.close();
await redis.stop();
process.exit(0);
