// The issue-8 acceptance scenario: 10 heartbeat values of 50 MB present for 60 s next to 10,000 valid servers.
// The built bridge runs as a child process (interval 2 s, the default); a writer refreshes the 10,000 heartbeats
// every 5 s like SDKs do. Phase A: valid servers only (the baseline, 20 s); phase B: the same plus the ten 50 MB
// values (60 s). Sampled every 500 ms: /readyz, bridge RSS, Redis used_memory and
// the output buffer (CLIENT LIST omem) of the bridge's connections; every 2 s servers online and the poll
// duration (from /metrics); at the end Redis used_memory_peak against
// the bytes written.
//   npm run build && node --import tsx bench/bridge-hostile.ts

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { heartbeatKey } from '@gravito/pulse-protocol';
import { freePort, startRedis } from '@gravito/pulse-testkit';
import type { Redis } from 'ioredis';
import { builtBridgeCli, heartbeatTemplate, inPipelines } from './lib/bridge-setup.js';

const SERVERS = 10_000;
const APPS = 100;
const BIG_VALUES = 10;
const BIG_BYTES = 50 * 1024 * 1024;
const BASELINE_S = Number(process.env.BENCH_BASELINE_S ?? 20);
const HOSTILE_S = Number(process.env.BENCH_HOSTILE_S ?? 60);

const CLI = builtBridgeCli('bench/bridge-hostile.ts');
const template = heartbeatTemplate();

const redis = await startRedis();
const client = redis.client();
let validBytes = 0;

/** One SDK round: every valid server's heartbeat, fresh, `EX 30`. */
async function writeValid(): Promise<void> {
  await inPipelines(client, SERVERS, (pipeline, i) => {
    const hb = structuredClone(template);
    hb.timestamp = Date.now();
    hb.meta.app_name = `app-${i % APPS}`;
    hb.meta.instance_id = `server-${i}`;
    hb.meta.interval_ms = 5_000;
    const value = JSON.stringify(hb);
    validBytes += value.length;
    pipeline.set(heartbeatKey(`app-${i % APPS}`, `server-${i}`), value, 'EX', 30);
  });
}
await writeValid();
const writer = setInterval(() => void writeValid(), 5_000);

const port = await freePort();
const bridge = spawn(process.execPath, [CLI, '--port', String(port)], {
  env: { ...process.env, REDIS_URL: redis.url, PULSE_LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const warnings: string[] = [];
bridge.stdout?.on('data', (chunk: Buffer) => {
  for (const line of chunk.toString().split('\n')) if (line) warnings.push(JSON.parse(line).msg);
});
const base = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  if ((await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200) break;
  if (i > 100) throw new Error('bridge not ready');
  await new Promise((r) => setTimeout(r, 100));
}
const pid = bridge.pid as number;

function rssMb(): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}

async function redisMemory(): Promise<{ used: number; peak: number }> {
  const info = await client.info('memory');
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1]);
  return { used: field('used_memory'), peak: field('used_memory_peak') };
}

async function bridgeOmem(redis: Redis): Promise<number> {
  let max = 0;
  for (const line of ((await redis.client('LIST')) as string).split('\n')) {
    if (/ name=pulse-bridge/.test(line)) max = Math.max(max, Number(/ omem=(\d+)/.exec(line)?.[1] ?? 0));
  }
  return max;
}

interface Phase {
  samples: number;
  notReady: number;
  minOnline: number;
  maxRssMb: number;
  maxUsedMb: number;
  maxOmem: number;
  maxPollMs: number;
}

/** Samples for `seconds`, or for as long as `during` runs. */
async function phase(seconds: number, during?: () => Promise<void>): Promise<Phase & { seconds: number }> {
  const out: Phase = { samples: 0, notReady: 0, minOnline: Number.POSITIVE_INFINITY, maxRssMb: 0, maxUsedMb: 0, maxOmem: 0, maxPollMs: 0 };
  const started = Date.now();
  const end = started + seconds * 1_000;
  let running = during !== undefined;
  void during?.().finally(() => {
    running = false;
  });
  while (running || Date.now() < end) {
    out.samples++;
    if ((await fetch(`${base}/readyz`)).status !== 200) out.notReady++;
    // /metrics (13 MB at 10,000 servers) every 2 s only, as a busy Prometheus would, not every sample.
    if (out.samples % 4 === 1) {
      const metrics = await (await fetch(`${base}/metrics`)).text();
      let online = 0;
      for (const m of metrics.matchAll(/^pulse_app_servers\{app="app-\d+",status="online"\} (\d+)$/gm)) online += Number(m[1]);
      out.minOnline = Math.min(out.minOnline, online);
      out.maxPollMs = Math.max(out.maxPollMs, Number(/^pulse_bridge_poll_duration_seconds (\S+)$/m.exec(metrics)?.[1] ?? 0) * 1_000);
    }
    out.maxRssMb = Math.max(out.maxRssMb, rssMb());
    out.maxUsedMb = Math.max(out.maxUsedMb, (await redisMemory()).used / 2 ** 20);
    out.maxOmem = Math.max(out.maxOmem, await bridgeOmem(client));
    await new Promise((r) => setTimeout(r, 500));
  }
  return { ...out, seconds: (Date.now() - started) / 1_000 };
}

const show = (name: string, p: Phase & { seconds: number }) =>
  console.log(
    `  ${name.padEnd(34)} ${p.seconds.toFixed(0).padStart(3)} s  /readyz not 200: ${p.notReady}/${p.samples}  min online: ${p.minOnline}/${SERVERS}  bridge RSS max: ${p.maxRssMb.toFixed(0)} MB  poll max: ${p.maxPollMs.toFixed(0)} ms  Redis used max: ${p.maxUsedMb.toFixed(0)} MB  bridge omem max: ${(p.maxOmem / 1024).toFixed(0)} KB`,
  );

await new Promise((r) => setTimeout(r, 4_000)); // a few polls to settle
const baseline = await phase(BASELINE_S);
const big = 'x'.repeat(BIG_BYTES);
// Writing 500 MB into Redis is itself a burden on Redis (and on this 2-core machine): it is timed on its own, and
// the hostile phase is measured from when the values are all present.
const writing = await phase(0, async () => {
  for (let i = 0; i < BIG_VALUES; i++) await client.set(heartbeatKey('hostile', `big-${i}`), big, 'EX', 3_600);
});
const hostile = await phase(HOSTILE_S);
await client.del(...Array.from({ length: BIG_VALUES }, (_, i) => heartbeatKey('hostile', `big-${i}`)));
const after = await phase(6);
const memory = await redisMemory();
const written = BIG_VALUES * BIG_BYTES + validBytes;

console.log(`bridge: ${SERVERS} valid servers (${APPS} apps), refreshed every 5 s; poll interval 2 s (default)`);
show('A. valid servers only', baseline);
show(`   writing the ${BIG_VALUES} × ${BIG_BYTES / 2 ** 20} MB values`, writing);
show(`B. + ${BIG_VALUES} × ${BIG_BYTES / 2 ** 20} MB heartbeat values`, hostile);
show('C. after they are deleted', after);
console.log(
  `  Redis used_memory_peak ${(memory.peak / 2 ** 20).toFixed(0)} MB for ${(written / 2 ** 20).toFixed(0)} MB written (${(memory.peak / written).toFixed(2)}×; acceptance < 2×)`,
);
console.log(
  `  bridge RSS, B / A: ${(hostile.maxRssMb / baseline.maxRssMb).toFixed(2)}×; poll max, B / A: ${(hostile.maxPollMs / baseline.maxPollMs).toFixed(2)}×`,
);
console.log(`  bridge warnings: ${warnings.length} (${[...new Set(warnings)].join(' | ')})`);
const pass = hostile.notReady === 0 && hostile.minOnline === SERVERS && memory.peak < 2 * written && hostile.maxRssMb < 500;
console.log(`  acceptance: ${pass ? 'met' : 'NOT met'}`);

clearInterval(writer);
bridge.kill('SIGTERM');
await new Promise((r) => bridge.once('exit', r));
client.disconnect();
await redis.stop();
process.exit(pass ? 0 : 1);
