// Where the CPU of an instrumented HTTP server goes, from V8 CPU profiles taken under load: the share of
// the server's on-CPU samples spent in Pulse's code (its span processor, collectors, exporter, Redis
// client, pidusage) and in OpenTelemetry's metrics SDK. Unlike throughput, a share of samples does not
// depend on how much CPU other work on the box leaves to the server.
//   node --import tsx bench/exporter-http-profile.ts          (BENCH_SECONDS per setup, default 8)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedis } from '@gravito/pulse-testkit';
import { EXAMPLE, loadFor, OTEL_ONLY, ZERO_CODE_APP } from './fixtures/http-load.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONCURRENCY = 16;
const PROFILER = fileURLToPath(new URL('./fixtures/cpu-profile.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pulse-profile-'));

const setups: Array<{ name: string; args: string[]; env: Record<string, string> }> = [
  {
    name: 'zero-code (`--import @gravito/pulse-node/register`)',
    args: ['--import', '@gravito/pulse-node/register', ZERO_CODE_APP],
    env: {},
  },
  { name: 'zero-code baseline (same NodeSDK, no Pulse)', args: ['--import', OTEL_ONLY, ZERO_CODE_APP], env: {} },
  { name: '`createPulse`, `metricReaders: [pulse.metricReader]`', args: EXAMPLE, env: {} },
  { name: '`PulseRecorder` (span processor only in NodeSDK)', args: EXAMPLE, env: { PULSE_MODE: 'recorder' } },
  { name: 'traces only (no Pulse)', args: EXAMPLE, env: { PULSE_DISABLED: '1' } },
];

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

/** Share of on-CPU samples (idle excluded) whose stack holds a frame matching each pattern; first match wins. */
function shares(profile: { nodes: ProfileNode[]; samples: number[] }, buckets: Array<[string, RegExp]>) {
  const parent = new Map<number, number>();
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const counts = new Map<string, number>(buckets.map(([name]) => [name, 0]));
  let onCpu = 0;
  const memo = new Map<number, string | null>();
  const classify = (id: number): string | null => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const urls: string[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) urls.push(byId.get(at)?.callFrame.url ?? '');
    const found = buckets.find(([, pattern]) => urls.some((url) => pattern.test(url)))?.[0] ?? null;
    memo.set(id, found);
    return found;
  };
  for (const id of profile.samples) {
    const name = byId.get(id)?.callFrame.functionName;
    if (name === '(idle)') continue;
    onCpu++;
    const bucket = classify(id);
    if (bucket) counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  }
  return { onCpu, counts };
}

const redis = await startRedis();
const buckets: Array<[string, RegExp]> = [
  ['Pulse', /\/exporter\/(dist|src)\/|pulse-node|\/pidusage\/|\/ioredis\//],
  ['OTel metrics SDK', /@opentelemetry\/sdk-metrics\//],
];
console.log(`V8 CPU profiles, GET / with ${CONCURRENCY} keep-alive connections for ${SECONDS} s per setup, one setup at a time:`);
console.log('| setup | requests | on-CPU samples | Pulse | OTel metrics SDK |\n|---|---|---|---|---|');
for (const [i, setup] of setups.entries()) {
  const path = join(dir, `${i}.cpuprofile`);
  const child = spawn(process.execPath, ['--import', PROFILER, ...setup.args], {
    env: { ...process.env, PORT: '0', REDIS_URL: redis.url, OTEL_SERVICE_NAME: `bench-profile-${i}`, CPU_PROFILE_PATH: path, ...setup.env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const said = (what: RegExp) =>
    new Promise<RegExpExecArray>((resolve) => {
      const check = () => {
        const m = what.exec(out);
        if (m) {
          child.stdout?.off('data', onData);
          resolve(m);
        }
      };
      const onData = (c: Buffer) => {
        out += c.toString();
        check();
      };
      child.stdout?.on('data', onData);
      check();
    });
  const url = (await said(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
  await loadFor(url, SECONDS, CONCURRENCY); // warm-up, unprofiled
  child.kill('SIGUSR2');
  await said(/profiling/);
  const requests = await loadFor(url, SECONDS, CONCURRENCY);
  child.kill('SIGUSR2');
  await said(/profiled/);
  child.kill('SIGTERM');
  const { onCpu, counts } = shares(JSON.parse(readFileSync(path, 'utf8')), buckets);
  const pct = (name: string) => `${((100 * (counts.get(name) ?? 0)) / onCpu).toFixed(2)} %`;
  console.log(`| ${setup.name} | ${requests} | ${onCpu} | ${pct('Pulse')} | ${pct('OTel metrics SDK')} |`);
}
rmSync(dir, { recursive: true, force: true });
await redis.stop();
process.exit(0);
