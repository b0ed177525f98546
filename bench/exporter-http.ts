// HTTP throughput with and without Pulse, each pair the same OpenTelemetry setup, all servers running
// and measured interleaved in one run (the box is shared: ratios of one run, not absolute figures).
// Two figures per setup: requests per second, and requests per CPU-second of the server process
// (/proc/<pid>/schedstat, ns on CPU): on a box loaded by other work, throughput measures the
// scheduler's mood as much as the server, while CPU time per request measures the work it did.
// Loopback only, bounded in time.
//   node --import tsx bench/exporter-http.ts          (BENCH_SECONDS, BENCH_ROUNDS)
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { startRedis } from '@gravito/pulse-testkit';
import { EXAMPLE, loadFor, OTEL_ONLY, ZERO_CODE_APP } from './fixtures/http-load.js';
import { median } from './lib/median.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);
// On 2 cores the load loop and the server fight for CPU, which is noisier than what we measure:
// when taskset exists, pin the servers to CPU 1 and this load loop to CPU 0.
const pin = spawnSync('taskset', ['-cp', '0', String(process.pid)]).status === 0;
const CONCURRENCY = 16;

interface Setup {
  name: string;
  args: string[];
  env: Record<string, string>;
}

async function startServer(setup: Setup, redisUrl: string) {
  const child = spawn(pin ? 'taskset' : process.execPath, pin ? ['-c', '1', process.execPath, ...setup.args] : setup.args, {
    env: { ...process.env, PORT: '0', REDIS_URL: redisUrl, OTEL_SERVICE_NAME: `bench-${setup.name}`, ...setup.env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`${setup.name} exited ${code}`)));
  });
  return { url, pid: child.pid as number, stop: () => child.kill('SIGTERM') };
}

/** Nanoseconds the process has spent on a CPU (Linux); undefined elsewhere. */
function cpuNanos(pid: number): number | undefined {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return undefined;
  }
}

interface Sample {
  rps: number;
  /** Requests per CPU-second of the server. */
  perCpuSecond: number;
}

/** CONCURRENCY keep-alive loops hitting GET / for SECONDS. */
async function load(url: string, pid: number): Promise<Sample> {
  const cpuBefore = cpuNanos(pid);
  const done = await loadFor(url, SECONDS, CONCURRENCY);
  const cpuAfter = cpuNanos(pid);
  const cpuSeconds = cpuBefore === undefined || cpuAfter === undefined ? Number.NaN : (cpuAfter - cpuBefore) / 1e9;
  return { rps: done / SECONDS, perCpuSecond: done / cpuSeconds };
}

// A sampler that keeps 1 % of traces, as behind a sampling gateway: without Pulse, 99 % of the spans are not
// recording; with Pulse (recordUnsampled around it) every span records, and the same 1 % is sampled.
const ONE_PERCENT = { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.01' };

const setups = {
  zeroCode: { name: 'zero-code', args: ['--import', '@gravito/pulse-node/register', ZERO_CODE_APP], env: {} },
  zeroCodeBase: { name: 'zero-code-base', args: ['--import', OTEL_ONLY, ZERO_CODE_APP], env: {} },
  zeroCodeOnePercent: { name: 'zero-code-1pct', args: ['--import', '@gravito/pulse-node/register', ZERO_CODE_APP], env: ONE_PERCENT },
  zeroCodeBaseOnePercent: { name: 'zero-code-base-1pct', args: ['--import', OTEL_ONLY, ZERO_CODE_APP], env: ONE_PERCENT },
  createPulse: { name: 'create-pulse', args: EXAMPLE, env: {} },
  tracesOnly: { name: 'traces-only', args: EXAMPLE, env: { PULSE_DISABLED: '1' } },
  tracesMetrics: { name: 'traces-metrics', args: EXAMPLE, env: { PULSE_DISABLED: 'metrics' } },
  recorder: { name: 'recorder', args: EXAMPLE, env: { PULSE_MODE: 'recorder' } },
} satisfies Record<string, Setup>;
type Name = keyof typeof setups;
/** [with Pulse, the same setup without Pulse, what the pair is]. */
const pairs: Array<[Name, Name, string]> = [
  [
    'zeroCode',
    'zeroCodeBase',
    '**zero-code** `--import @gravito/pulse-node/register` (README first example) vs the same NodeSDK, hook and instrumentations with a no-op span processor',
  ],
  [
    'zeroCodeOnePercent',
    'zeroCodeBaseOnePercent',
    '**zero-code, 1 % sampler** (`OTEL_TRACES_SAMPLER=parentbased_traceidratio`, `_ARG=0.01`): Pulse sees every request (`recordUnsampled`) vs the same without Pulse (99 % of spans not recording)',
  ],
  ['recorder', 'tracesOnly', '`PulseRecorder` (heartbeats on its own MeterProvider, span processor in NodeSDK) vs traces only'],
  ['createPulse', 'tracesOnly', '`createPulse`, `metricReaders: [pulse.metricReader]` in NodeSDK vs traces only'],
  ['createPulse', 'tracesMetrics', '`createPulse` vs traces + a metric reader that keeps nothing (an app that already has metrics)'],
];

const redis = await startRedis();
const names = Object.keys(setups) as Name[];
const servers = new Map<Name, Awaited<ReturnType<typeof startServer>>>();
for (const name of names) servers.set(name, await startServer(setups[name], redis.url));
const run = (name: Name) => {
  const server = servers.get(name) as Awaited<ReturnType<typeof startServer>>;
  return load(server.url, server.pid);
};
for (const name of names) await run(name); // warm-up
// Each round measures every pair back to back, alternating which side goes first, and keeps the
// ratio of that round: drift between rounds (other work on the box) cancels within a pair.
const ratios = pairs.map(() => ({ rps: [] as number[], cpu: [] as number[], a: [] as Sample[], b: [] as Sample[] }));
for (let r = 0; r < ROUNDS; r++) {
  for (let k = 0; k < pairs.length; k++) {
    const i = (r + k) % pairs.length;
    const [withPulse, without] = pairs[i] as [Name, Name, string];
    const first = r % 2 === 0 ? withPulse : without;
    const x = await run(first);
    const y = await run(first === withPulse ? without : withPulse);
    const [a, b] = first === withPulse ? [x, y] : [y, x];
    const slot = ratios[i] as (typeof ratios)[number];
    slot.a.push(a);
    slot.b.push(b);
    slot.rps.push(a.rps / b.rps);
    slot.cpu.push(a.perCpuSecond / b.perCpuSecond);
  }
}
const quartiles = (xs: number[]) => {
  const sorted = [...xs].sort((p, q) => p - q);
  const at = (f: number) => sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))] as number;
  return `${at(0.25).toFixed(2)}–${at(0.75).toFixed(2)}`;
};
console.log(
  `GET /, ${CONCURRENCY} keep-alive connections, ${ROUNDS} rounds × ${SECONDS} s per setup, pairs back to back, medians of the per-round ratios (interquartile range)${pin ? ', servers on CPU 1, load on CPU 0' : ''}; load average ${loadavg()[0]?.toFixed(1)}:`,
);
console.log('| pair | req/s with / without | ratio | req per CPU-s with / without | ratio |\n|---|---|---|---|---|');
pairs.forEach(([, , what], i) => {
  const slot = ratios[i] as (typeof ratios)[number];
  const rpsA = median(slot.a.map((x) => x.rps));
  const rpsB = median(slot.b.map((x) => x.rps));
  const cpuA = median(slot.a.map((x) => x.perCpuSecond));
  const cpuB = median(slot.b.map((x) => x.perCpuSecond));
  console.log(
    `| ${what} | ${rpsA.toFixed(0)} / ${rpsB.toFixed(0)} | ${median(slot.rps).toFixed(3)}× (${quartiles(slot.rps)}) | ${cpuA.toFixed(0)} / ${cpuB.toFixed(0)} | **${median(slot.cpu).toFixed(3)}×** (${quartiles(slot.cpu)}) |`,
  );
});
for (const s of servers.values()) s.stop();
await redis.stop();
process.exit(0);
