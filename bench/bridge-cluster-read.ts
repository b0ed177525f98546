// The tracked read of changed heartbeats on a Redis Cluster (3 masters), side by side in one run: the pipelined read
// (GETRANGE and PTTL on a connection per master, each key to its slot's master) and the bounded-read script once
// per key, which the cluster path ran before (the same handle with the pipelined read marked refused). 4,000
// changed heartbeats of ~680 B, read in 500-key chunks all in flight, as a realistic tick of bench/bridge-tick.ts.
// Reports the masters' CPU summed (INFO cpu), this process's loop busy and the time; rounds alternate the two.
//   npm run bench -- bridge-cluster-read        (ROUNDS=<n> for more rounds)

import { performance } from 'node:perf_hooks';
import { heartbeatKey, MAX_HEARTBEAT_BYTES } from '@gravito/pulse-protocol';
import { startRedisCluster } from '@gravito/pulse-testkit';
import { Cluster } from 'ioredis';
import { boundedGetChunkWithTtl } from '../bridge/src/redis/bounded-get.js';
import { connectRedis, type RedisHandle } from '../bridge/src/redis/connection.js';
import { noteReadRefusal } from '../bridge/src/redis/refusals.js';
import { heartbeatTemplate } from './lib/bridge-setup.js';
import { median } from './lib/median.js';
import { redisCpuMs } from './lib/redis-cpu.js';

const ROUNDS = Number(process.env.ROUNDS ?? 9);
const CHANGED = 4_000;
const CHUNK = 500;

const cluster = await startRedisCluster({ masters: 3 });
const writer = new Cluster([...cluster.nodes]);
const template = heartbeatTemplate();
delete template.system.disks;
const keys = Array.from({ length: CHANGED }, (_, i) => heartbeatKey(`app-${i % 100}`, `server-${i}`));
for (let start = 0; start < keys.length; start += CHUNK)
  await Promise.all(
    keys
      .slice(start, start + CHUNK)
      .map((key, i) => writer.set(key, JSON.stringify({ ...template, timestamp: Date.now() + start + i }), 'EX', 300)),
  );

async function ready(handle: RedisHandle): Promise<RedisHandle> {
  while (!handle.ready() || handle.masters().length < 3) await new Promise((resolve) => setTimeout(resolve, 10));
  return handle;
}
const pipelined = await ready(connectRedis(cluster.seeds, { timeoutMs: 10_000 }));
const scripted = await ready(connectRedis(cluster.seeds, { timeoutMs: 10_000 }));
// As before this path existed: the pipelined read refused, so every chunk goes through the script, one call per key.
noteReadRefusal(scripted, 'pipelined', new Error("NOPERM this user has no permissions to run the 'getrange' command"));

const mastersCpuMs = async () => (await Promise.all(writer.nodes('master').map((node) => redisCpuMs(node)))).reduce((a, b) => a + b, 0);

async function readAll(handle: RedisHandle): Promise<void> {
  const reads = [];
  for (let start = 0; start < keys.length; start += CHUNK)
    reads.push(boundedGetChunkWithTtl(handle, keys.slice(start, start + CHUNK), MAX_HEARTBEAT_BYTES));
  for (const { values } of await Promise.all(reads))
    if (values.some((value) => typeof value !== 'string')) throw new Error('a value was not read');
}

const ways = [
  ['pipelined read, a connection per master', pipelined],
  ['bounded-read script, one call per key', scripted],
] as const;
const results = new Map<string, { ms: number; busyMs: number; redisCpuMs: number }[]>(ways.map(([name]) => [name, []]));
// Round 0 warms up (connections, script cache, JIT) and is not counted.
for (let round = 0; round <= ROUNDS; round++)
  for (const [name, handle] of round % 2 === 0 ? ways : [...ways].reverse()) {
    (globalThis as { gc?: () => void }).gc?.();
    const cpuBefore = await mastersCpuMs();
    const loopBefore = performance.eventLoopUtilization();
    const started = performance.now();
    await readAll(handle);
    const ms = performance.now() - started;
    const busyMs = performance.eventLoopUtilization(loopBefore).active;
    const redis = (await mastersCpuMs()) - cpuBefore;
    if (round > 0) results.get(name)?.push({ ms, busyMs, redisCpuMs: redis });
  }

console.log(`\nreading ${CHANGED} changed heartbeats with their TTLs on a 3-master cluster, ${ROUNDS} rounds, medians:`);
const base = median((results.get(ways[1][0]) ?? []).map((x) => x.redisCpuMs));
for (const [name, xs] of results) {
  const cpu = median(xs.map((x) => x.redisCpuMs));
  console.log(
    `  ${name.padEnd(42)} masters' CPU ${cpu.toFixed(1).padStart(6)} ms (${(cpu / base).toFixed(2)}×), loop busy ${median(
      xs.map((x) => x.busyMs),
    )
      .toFixed(1)
      .padStart(6)} ms, time ${median(xs.map((x) => x.ms))
      .toFixed(1)
      .padStart(6)} ms`,
  );
}
await Promise.all([pipelined.close(), scripted.close()]);
writer.disconnect();
await cluster.stop();
process.exit(0);
