// HTTP throughput of the example app: OTel + Pulse against the same OTel setup without Pulse
// (PULSE_DISABLED=1), both running, measured alternately in one run. Loopback only, bounded.
//   node --import tsx bench/exporter-http.ts
import { spawn, spawnSync } from 'node:child_process';
import { Agent, request } from 'node:http';
import { startRedis } from '@gravito/pulse-testkit';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
// On 2 cores the load loop and the server fight for CPU, which is noisier than what we measure:
// when taskset exists, pin the servers to CPU 1 and this load loop to CPU 0.
const pin = spawnSync('taskset', ['-cp', '0', String(process.pid)]).status === 0;
const CONCURRENCY = 16;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function startServer(env: Record<string, string>) {
  const args = ['--import', 'tsx', 'exporter/examples/express-app/server.ts'];
  const child = spawn(pin ? 'taskset' : process.execPath, pin ? ['-c', '1', process.execPath, ...args] : args, {
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

/** CONCURRENCY keep-alive loops hitting GET / for SECONDS; returns requests per second. */
async function load(url: string): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const { hostname, port } = new URL(url);
  const deadline = Date.now() + SECONDS * 1000;
  let done = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const req = request({ host: hostname, port, path: '/', agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end();
    });
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < deadline) {
        await one();
        done++;
      }
    }),
  );
  agent.destroy();
  return done / SECONDS;
}

const redis = await startRedis();
const withPulse = await startServer({ REDIS_URL: redis.url, PULSE_APP_NAME: 'bench-http' });
const without = await startServer({ PULSE_DISABLED: '1' });
const withMetrics = await startServer({ PULSE_DISABLED: 'metrics' });
const withRecorder = await startServer({ REDIS_URL: redis.url, PULSE_APP_NAME: 'bench-http-recorder', PULSE_MODE: 'recorder' });
const servers = [withPulse, without, withMetrics, withRecorder];
for (const s of servers) await load(s.url); // warm-up
const a: number[] = [];
const b: number[] = [];
const c: number[] = [];
const d: number[] = [];
const results = [a, b, c, d];
for (let r = 0; r < ROUNDS; r++) {
  // Rotate the order, so that drift on a noisy machine does not favour one side.
  for (let k = 0; k < servers.length; k++) {
    const i = (r + k) % servers.length;
    results[i]?.push(await load((servers[i] as { url: string }).url));
  }
}
console.log(
  `GET / on the example app, ${CONCURRENCY} keep-alive connections, ${ROUNDS} × ${SECONDS} s each, alternating, medians${pin ? ', servers on CPU 1, load on CPU 0' : ''}:`,
);
console.log(`| setup | req/s | Pulse / this |\n|---|---|---|`);
console.log(`| OTel traces (http + express), no metric reader | ${median(b).toFixed(0)} | ${(median(a) / median(b)).toFixed(3)}× |`);
console.log(`| OTel traces + a metric reader that keeps nothing | ${median(c).toFixed(0)} | ${(median(a) / median(c)).toFixed(3)}× |`);
console.log(`| OTel traces + Pulse (span processor + metric reader) | ${median(a).toFixed(0)} | |`);
console.log(
  `| OTel traces + Pulse as PulseRecorder (span processor only in NodeSDK) | ${median(d).toFixed(0)} | vs traces only: ${(median(d) / median(b)).toFixed(3)}× |`,
);
for (const s of servers) s.stop();
await redis.stop();
process.exit(0);
