// SSE fan-out: 1,000 concurrent clients on loopback against the built bridge (a child process), next to the
// same bridge with no client, in one run. Reports the bridge's CPU and memory, the delay from each tick to the
// last client's receipt, and how often Redis was polled. Needs `npm run build` first.
//   node --import tsx bench/bridge-sse.ts
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { type ClientRequest, request } from 'node:http';
import { heartbeatKey } from '@gravito/pulse-protocol';
import { startRedis } from '@gravito/pulse-testkit';
import { builtBridgeCli, heartbeatTemplate } from './lib/bridge-setup.js';

const CLIENTS = 1_000;
const SERVERS = 20;
const INTERVAL_MS = 1_000;
const IDLE_S = 8;
const LOADED_S = 20;

const CLI = builtBridgeCli('bench/bridge-sse.ts');
const template = heartbeatTemplate();
const redis = await startRedis();
const client = redis.client();
for (let i = 0; i < SERVERS; i++) {
  const hb = structuredClone(template);
  hb.timestamp = Date.now() + 3_600_000; // stays online for the whole run
  await client.set(heartbeatKey('sse-bench', `server-${i}`), JSON.stringify(hb), 'EX', 600);
}

const bridge = spawn(process.execPath, [CLI, '--port', '0'], {
  env: {
    ...process.env,
    REDIS_URL: redis.url,
    PULSE_STREAM_INTERVAL_MS: String(INTERVAL_MS),
    PULSE_SSE_MAX_CLIENTS: String(CLIENTS + 10),
    PULSE_LOG_LEVEL: 'info',
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const port = await new Promise<number>((resolve, reject) => {
  let out = '';
  bridge.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    const line = out.split('\n').find((l) => l.includes('pulse-bridge listening'));
    if (line) resolve(JSON.parse(line).port);
  });
  bridge.once('exit', () => reject(new Error('bridge exited')));
  setTimeout(() => reject(new Error('bridge did not start')), 10_000).unref();
});
const pid = bridge.pid as number;
const ticksPerSecond = 100; // USER_HZ
function cpuSeconds(): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond; // utime + stime
}
function rssMb(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1]) / 1024;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function phase(seconds: number): Promise<{ cpu: number; rss: number }> {
  const c0 = cpuSeconds();
  let rss = 0;
  for (let i = 0; i < seconds; i++) {
    await sleep(1_000);
    rss = Math.max(rss, rssMb());
  }
  return { cpu: (cpuSeconds() - c0) / seconds, rss };
}

// Baseline: the same bridge, polling, with no client.
await sleep(1_500);
const idle = await phase(IDLE_S);

// 1,000 clients; each records when it receives each tick's system_pulse (its data starts with the tick's timestamp).
const MARK = 'event: system_pulse\ndata: {"timestamp":';
const receipts = new Map<number, number[]>(); // tick timestamp → receipt times
const requests: ClientRequest[] = [];
let connected = 0;
let measuring = false;
for (let i = 0; i < CLIENTS; i++) {
  const req = request(
    { host: '127.0.0.1', port, path: '/api/pulse/stream', agent: false, headers: { accept: 'text/event-stream' } },
    (res) => {
      if (res.statusCode === 200) connected++;
      res.setEncoding('utf8');
      let tail = '';
      res.on('data', (chunk: string) => {
        const now = Date.now();
        const text = tail + chunk;
        let at = text.indexOf(MARK);
        while (at >= 0) {
          const start = at + MARK.length;
          const end = text.indexOf(',', start);
          if (end < 0) break;
          const tick = Number(text.slice(start, end));
          if (measuring) {
            const list = receipts.get(tick) ?? [];
            if (list.length === 0) receipts.set(tick, list);
            list.push(now);
          }
          at = text.indexOf(MARK, end);
        }
        tail = text.slice(-MARK.length - 20);
      });
    },
  );
  req.on('error', () => {});
  req.end();
  requests.push(req);
}
while (connected < CLIENTS) await sleep(50);
await sleep(INTERVAL_MS);
await client.config('RESETSTAT');
measuring = true;
const loaded = await phase(LOADED_S);
measuring = false;
const stats = (await client.info('commandstats')) as string;
const calls = (cmd: string) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);

const complete = [...receipts.entries()].filter(([, list]) => list.length === CLIENTS);
const lastClient = complete.map(([tick, list]) => Math.max(...list) - tick).sort((a, b) => a - b);
const all = complete.flatMap(([tick, list]) => list.map((t) => t - tick)).sort((a, b) => a - b);
const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] as number;
const ticks = receipts.size;
console.log(
  `SSE: ${CLIENTS} clients on loopback, ${SERVERS} servers (~${Math.round((JSON.stringify(template).length * SERVERS) / 1024)} KB per system_pulse), interval ${INTERVAL_MS} ms`,
);
console.log(`  bridge with no client:       CPU ${(idle.cpu * 100).toFixed(1)} % of a core, RSS ${idle.rss.toFixed(0)} MB`);
console.log(
  `  bridge with ${CLIENTS} clients:   CPU ${(loaded.cpu * 100).toFixed(1)} % of a core, RSS ${loaded.rss.toFixed(0)} MB (CPU ${(loaded.cpu / Math.max(idle.cpu, 1e-3)).toFixed(1)}× idle)`,
);
console.log(`  ticks seen: ${ticks} in ${LOADED_S} s, ${complete.length} reached all ${CLIENTS} clients`);
console.log(`  tick → last client: p50 ${pct(lastClient, 50)} ms, p99 ${pct(lastClient, 99)} ms, max ${lastClient.at(-1)} ms`);
console.log(`  tick → any client:  p50 ${pct(all, 50)} ms, p99 ${pct(all, 99)} ms`);
console.log(
  `  Redis during the ${LOADED_S} s: SCAN ${calls('scan')}, MGET ${calls('mget')}, XRANGE+XREVRANGE ${calls('xrange') + calls('xrevrange')}, ZRANGEBYSCORE ${calls('zrangebyscore')} → ${(calls('mget') / Math.max(ticks, 1)).toFixed(2)} MGET per tick`,
);

for (const req of requests) req.destroy();
bridge.kill('SIGTERM');
await new Promise((r) => bridge.once('exit', r));
await redis.stop();
process.exit(0);
