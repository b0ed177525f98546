// SSE fan-out at fleet scale, on loopback, against the built bridge running in a child process (so that its RSS
// and CPU are its own). Each phase runs a fresh bridge for `--seconds` (60 by default), from 8 s after every reader
// has had its first pulse:
//   full     10,000 servers, all changing, 100 readers in full mode + 100 readers filtered to one app
//   delta    10,000 servers, 10 % changing per tick, 1,000 readers in delta mode
//   stalled  10,000 servers, all changing, 10 readers alone for 30 s, then with 100 clients that never read (then
//            60 s more to see memory come back to what the readers alone held)
//   full-1k  1,000 servers, all changing, 1,000 readers in full mode
//   zenith   10,000 servers, 40 % changing per tick, 1 reader in full mode (Zenith's own setting)
//   many-apps  the same, the servers in 5,000 apps of two (a pulse of ~10,000 small buffers)
// then the same readers against a bare Node server writing frames of the same size (the ceiling), and, with
// `--baseline <cli.js>`, the phases the older bridge supports (full, stalled, full-1k) against it, in the same run.
// Needs `npm run build` first. 10,000 heartbeats sit among 100,000 keys; the interval is 2 s. Each bridge runs with
// bench/fanout/loop-probe.mjs loaded, which splits its event-loop blocks over 20 ms into time on a CPU and time
// waiting for a core: the readers, Redis and the bridge share this machine's cores.
//   node --import tsx bench/bridge-fanout.ts [--seconds 60] [--baseline /path/to/old/bridge/dist/cli.js] [--only full,delta]
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { heartbeatKey } from '@gravito/pulse-protocol';
import { startRedis } from '@gravito/pulse-testkit';
import type { Redis } from 'ioredis';
import { builtBridgeCli, heartbeatTemplate } from './lib/bridge-setup.js';
import type { LoopBlock, schedMs } from './lib/loop-gaps.mjs';

const { values: args } = parseArgs({
  options: { seconds: { type: 'string', default: '60' }, baseline: { type: 'string' }, only: { type: 'string' } },
});
const SECONDS = Number(args.seconds);
const INTERVAL_MS = 2_000;
const APPS = 100;
const OTHER_KEYS = 90_000;
/** After every reader has had its first pulse (a delta reader's is the whole state: 7.7 MB at 10,000 servers). */
const WARMUP_MS = 8_000;
const CLI = builtBridgeCli('bench/bridge-fanout.ts');
const CEILING = fileURLToPath(new URL('./fanout/ceiling-server.ts', import.meta.url));
const READERS = fileURLToPath(new URL('./fanout/readers.ts', import.meta.url));
const LOOP_PROBE = fileURLToPath(new URL('./fanout/loop-probe.mjs', import.meta.url));
const only = args.only?.split(',');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) =>
  xs.length === 0 ? Number.NaN : (xs[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] as number);

// ---- Redis and the heartbeat writer -------------------------------------------------------------------------
const template = heartbeatTemplate();
delete template.system.disks; // ~660 B, as in bench/bridge-tick.ts
// Newer than the --baseline bridge's protocol (cc27f94 rejects it); absent means running, for both bridges.
delete template.state;
template.meta.interval_ms = 600_000; // a server not rewritten during a phase stays online
const redis = await startRedis();
const writer = redis.client();
for (let start = 0; start < OTHER_KEYS; start += 1_000) {
  await writer.mset(Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`other:${start + i}`, 'x'])));
}

/** Writes `servers` heartbeats now, then rewrites `share` of them every second (1 s < the 2 s interval). */
class HeartbeatWriter {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private busy = false;
  private round = 0;
  /** Each server's JSON around its timestamp, built once: a write only puts in the time (cheap for the bench). */
  private readonly parts: [string, string][];
  constructor(
    private readonly client: Redis,
    readonly servers: number,
    private readonly apps = APPS,
  ) {
    this.parts = Array.from({ length: servers }, (_, i) => {
      const hb = structuredClone(template);
      hb.timestamp = 1_111_111_111_111;
      hb.meta.app_name = `app-${i % apps}`;
      hb.meta.instance_id = `server-${i}`;
      hb.system.cpu_usage = i % 100;
      return JSON.stringify(hb).split('1111111111111') as [string, string];
    });
  }

  private json(i: number): string {
    const [before, after] = this.parts[i] as [string, string];
    return `${before}${Date.now()}${after}`;
  }

  async write(indexes: Iterable<number>): Promise<void> {
    let p = this.client.pipeline();
    let n = 0;
    for (const i of indexes) {
      p.set(heartbeatKey(`app-${i % this.apps}`, `server-${i}`), this.json(i), 'EX', 600);
      if (++n % 1_000 === 0) {
        await p.exec();
        p = this.client.pipeline();
      }
    }
    await p.exec();
  }

  async start(sharePerSecond: number): Promise<void> {
    const old = await this.client.keys('pulse:server:*');
    if (old.length > 0) await this.client.del(...old);
    await this.write(Array.from({ length: this.servers }, (_, i) => i));
    this.timer = setInterval(() => {
      this.round++;
      const count = Math.round(this.servers * sharePerSecond);
      const first = (this.round * count) % this.servers;
      // One rewrite at a time: a second that runs late is skipped, not queued.
      if (this.busy) return;
      this.busy = true;
      this.writing = this.write(Array.from({ length: count }, (_, k) => (first + k) % this.servers)).finally(() => {
        this.busy = false;
      });
    }, 1_000);
  }

  /** Stops rewriting, once the writes under way are done (so that the next phase starts from its own keys). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.writing;
  }
}

// ---- the server under test: the bridge (or the ceiling) in a child process -----------------------------------
interface Target {
  child: ChildProcess;
  port: number;
  bridge: boolean;
  /** The bridge's event-loop blocks, as bench/fanout/loop-probe.mjs writes them. */
  loopGapsFile?: string;
}

async function startChild(
  args: string[],
  env: NodeJS.ProcessEnv,
  portOf: (line: string) => number | undefined,
): Promise<ChildProcess & { port: number }> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let shown = 0;
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      for (const line of out.split('\n')) {
        const port = line.trim() ? portOf(line) : undefined;
        if (port) resolve(port);
        // The bridge's warnings and errors (a failed poll, dropped clients), a few per phase.
        if (/"level":(40|50)/.test(line) && shown++ < 6) console.log(`    bridge log: ${line.slice(0, 240)}`);
      }
      out = out.slice(out.lastIndexOf('\n') + 1);
    });
    child.once('exit', () => reject(new Error('child exited')));
    setTimeout(() => reject(new Error('child did not start')), 20_000).unref();
  });
  child.stdout?.resume();
  return Object.assign(child, { port });
}

async function startBridge(cli: string): Promise<Target> {
  const loopGapsFile = join(tmpdir(), `pulse-bench-loop-${process.pid}-${Date.now()}.jsonl`);
  const child = await startChild(
    ['--import', LOOP_PROBE, cli, '--port', '0'],
    {
      BENCH_LOOP_GAPS_FILE: loopGapsFile,
      REDIS_URL: redis.url,
      PULSE_STREAM_INTERVAL_MS: String(INTERVAL_MS),
      PULSE_SSE_MAX_CLIENTS: '2000',
      PULSE_LOG_LEVEL: 'info',
    },
    (line) => (line.includes('pulse-bridge listening') ? JSON.parse(line).port : undefined),
  );
  return { child, port: child.port, bridge: true, loopGapsFile };
}

async function startCeiling(frameBytes: number): Promise<Target> {
  const child = await startChild(['--import', 'tsx', CEILING, String(frameBytes), String(INTERVAL_MS)], {}, (line) =>
    line.startsWith('{"port"') ? JSON.parse(line).port : undefined,
  );
  return { child, port: child.port, bridge: false };
}

async function stopTarget(target: Target): Promise<void> {
  target.child.kill('SIGTERM');
  await Promise.race([new Promise((r) => target.child.once('exit', r)), sleep(6_000)]);
  target.child.kill('SIGKILL');
  if (target.loopGapsFile) rmSync(target.loopGapsFile, { force: true });
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, USER_HZ
}
function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
}

// ---- clients: readers run in child processes (bench/fanout/readers.ts), so that their work does not delay the
// /healthz probe or each other's timestamps more than the machine does ---------------------------------------
interface ReaderReport {
  events: { tick: number; at: number; bytes: number }[][];
  dropped: boolean[];
}

class Readers {
  private readonly child: ChildProcess;
  private readonly ready: Promise<void>;
  constructor(port: number, path: string, count: number) {
    this.child = spawn(process.execPath, ['--import', 'tsx', READERS, String(port), path, String(count)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.ready = new Promise((resolve) => this.child.once('message', () => resolve()));
  }
  connected(): Promise<void> {
    return this.ready;
  }
  /** How many of its readers have had their first pulse. */
  started(): Promise<number> {
    return this.ask('started');
  }
  report(from: number, to: number): Promise<ReaderReport> {
    return this.ask({ from, to });
  }
  /** Sends a question to the child and waits for its answer (it answers each in turn). */
  private ask<T>(question: 'started' | { from: number; to: number }): Promise<T> {
    const answer = new Promise<T>((resolve) => this.child.once('message', (m) => resolve(m as T)));
    this.child.send(question);
    return answer;
  }
  close(): void {
    this.child.kill('SIGKILL');
  }
}

/** A client that sends its request and never reads a byte of the answer. */
function stalled(port: number): Socket {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  socket.write(`GET /api/pulse/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
  socket.pause();
  return socket;
}

// ---- one phase ----------------------------------------------------------------------------------------------
interface Group {
  name: string;
  readers: Readers[];
}

interface PhaseResult {
  groups: {
    name: string;
    clients: number;
    eventsPerClientPerS: number;
    worstShare: number;
    p50: number;
    p99: number;
    max: number;
    dropped: number;
    bytesPerTick: number;
  }[];
  ticks: number;
  seconds: number;
  /** From connecting to every reader having its first pulse. */
  firstPulseMs: number;
  cpu: number;
  rssMax: number;
  healthP99: number;
  healthMax: number;
  lagMaxMs: number | undefined;
  loop: LoopWindow | undefined;
  droppedByBridge: number | undefined;
  extra: string[];
}

/** The bridge's event-loop blocks over 20 ms in a window, split into its own time on a CPU and waiting for one. */
interface LoopWindow {
  blocks: number;
  maxBlockMs: number;
  /** The longest time the main thread was on a CPU within one block. */
  maxCpuBlockMs: number;
  /** Blocks in which the main thread was on a CPU for over 20 ms. */
  cpuBlocksOver20: number;
  /** The share of the window the main thread was runnable but waiting for a core. */
  waitShare: number;
}

/** The probe's line, once a second: the main thread's running totals. */
type SchedTotals = { at: number } & ReturnType<typeof schedMs>;

function loopWindow(file: string, from: number, to: number): LoopWindow {
  const lines = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LoopBlock | SchedTotals);
  const blocks = lines.filter((l): l is LoopBlock => 'blockMs' in l && l.at >= from && l.at <= to);
  const totals = lines.filter((l): l is SchedTotals => 'wait' in l);
  const first = totals.find((t) => t.at >= from);
  const last = totals.findLast((t) => t.at <= to);
  return {
    blocks: blocks.length,
    maxBlockMs: Math.max(0, ...blocks.map((b) => b.blockMs)),
    maxCpuBlockMs: Math.max(0, ...blocks.map((b) => b.cpuMs)),
    cpuBlocksOver20: blocks.filter((b) => b.cpuMs > 20).length,
    waitShare: first && last && last.at > first.at ? (last.wait - first.wait) / (last.at - first.at) : Number.NaN,
  };
}

async function scrape(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}
const metric = (text: string, name: string) => {
  const m = new RegExp(`\\n${name} ([0-9.e+-]+)`).exec(`\n${text}`);
  return m ? Number(m[1]) : undefined;
};

async function runPhase(
  target: Target,
  groups: { name: string; count: number; path: string }[],
  stalledCount = 0,
  seconds = SECONDS,
): Promise<PhaseResult> {
  const pid = target.child.pid as number;
  const made: Group[] = [];
  for (const g of groups) {
    // At most 500 readers per process.
    const readers: Readers[] = [];
    for (let left = g.count; left > 0; left -= 500) readers.push(new Readers(target.port, g.path, Math.min(500, left)));
    await Promise.all(readers.map((r) => r.connected()));
    made.push({ name: g.name, readers });
  }
  const sockets = Array.from({ length: stalledCount }, () => stalled(target.port));
  // Connecting is not the steady state measured: wait until every reader has its first pulse (at most 2 min).
  const connectedAt = Date.now();
  const all = made.flatMap((g) => g.readers);
  const wanted = groups.reduce((n, g) => n + g.count, 0);
  while (Date.now() - connectedAt < 120_000) {
    if ((await Promise.all(all.map((r) => r.started()))).reduce((a, b) => a + b, 0) >= wanted) break;
    await sleep(250);
  }
  const firstPulseMs = Date.now() - connectedAt;
  await sleep(WARMUP_MS);
  if (target.bridge) await scrape(target.port); // resets the event-loop delay histogram
  const c0 = cpuSeconds(pid);
  const from = Date.now();
  let rssMax = 0;
  const health: number[] = [];
  const until = from + seconds * 1_000;
  const probe = (async () => {
    while (Date.now() < until) {
      const t0 = performance.now();
      await fetch(`http://127.0.0.1:${target.port}/healthz`).then((r) => r.text());
      health.push(performance.now() - t0);
      await sleep(100);
    }
  })();
  const rss: number[] = [];
  while (Date.now() < until) {
    await sleep(1_000);
    rss.push(rssMb(pid));
    rssMax = Math.max(rssMax, rss.at(-1) as number);
  }
  await probe;
  const to = Date.now();
  const cpu = (cpuSeconds(pid) - c0) / ((to - from) / 1_000);
  const metrics = target.bridge ? await scrape(target.port) : '';
  // Give the last events of the window time to arrive, then count those whose tick fell in the window.
  await sleep(Math.min(INTERVAL_MS * 2, 4_000));
  const reports = await Promise.all(
    made.map(async (g) => {
      const parts = await Promise.all(g.readers.map((r) => r.report(from, to)));
      return { name: g.name, events: parts.flatMap((p) => p.events), dropped: parts.flatMap((p) => p.dropped) };
    }),
  );
  const ticks = new Set<number>();
  for (const g of reports) for (const list of g.events) for (const e of list) ticks.add(e.tick);
  const result: PhaseResult = {
    groups: reports.map(({ name, events: perReader, dropped }) => {
      const delays: number[] = [];
      let bytes = 0;
      let events = 0;
      let worst = Number.POSITIVE_INFINITY;
      for (const mine of perReader) {
        worst = Math.min(worst, mine.length / Math.max(ticks.size, 1));
        events += mine.length;
        for (const e of mine) {
          delays.push(e.at - e.tick);
          bytes += e.bytes;
        }
      }
      delays.sort((a, b) => a - b);
      return {
        name,
        clients: perReader.length,
        eventsPerClientPerS: events / perReader.length / ((to - from) / 1_000),
        worstShare: worst,
        p50: pct(delays, 50),
        p99: pct(delays, 99),
        max: delays.at(-1) ?? Number.NaN,
        dropped: dropped.filter(Boolean).length,
        bytesPerTick: bytes / Math.max(events, 1),
      };
    }),
    ticks: ticks.size,
    seconds,
    firstPulseMs,
    cpu,
    rssMax,
    healthP99: pct(
      [...health].sort((a, b) => a - b),
      99,
    ),
    healthMax: Math.max(...health),
    lagMaxMs: target.bridge ? (metric(metrics, 'nodejs_eventloop_lag_max_seconds') ?? Number.NaN) * 1_000 : undefined,
    loop: target.loopGapsFile ? loopWindow(target.loopGapsFile, from, to) : undefined,
    droppedByBridge: target.bridge ? metric(metrics, 'pulse_bridge_sse_slow_clients_dropped_total') : undefined,
    extra: [],
  };
  if (stalledCount > 0) {
    // Memory after the stalled clients: sampled for a minute more, with readers still connected.
    for (let s = 0; s < 60; s++) {
      await sleep(1_000);
      rss.push(rssMb(pid));
    }
    const after = target.bridge ? await scrape(target.port) : '';
    const peakAt = rss.indexOf(rssMax);
    result.extra.push(
      `stalled clients: ${stalledCount}, dropped by the bridge: ${metric(after, 'pulse_bridge_sse_slow_clients_dropped_total')}; ` +
        `RSS peak ${rssMax.toFixed(0)} MB at ${peakAt + 1} s into the window, ${rss[peakAt + 30]?.toFixed(0)} MB 30 s later, ` +
        `${rss[peakAt + 60]?.toFixed(0)} MB 60 s later; RSS each 10 s: ${rss
          .filter((_, i) => i % 10 === 9)
          .map((x) => x.toFixed(0))
          .join(' ')}`,
    );
  }
  for (const g of made) for (const r of g.readers) r.close();
  for (const s of sockets) s.destroy();
  return result;
}

function report(title: string, r: PhaseResult): void {
  console.log(
    `\n${title}: ${r.ticks} ticks in ${r.seconds} s (first pulse to every reader ${(r.firstPulseMs / 1000).toFixed(1)} s after connecting)`,
  );
  for (const g of r.groups) {
    console.log(
      `  ${g.name.padEnd(28)} ${String(g.clients).padStart(5)} clients  ${g.eventsPerClientPerS.toFixed(3)} events/client/s (worst client ${(g.worstShare * 100).toFixed(0)} % of ticks)  ` +
        `delivery p50 ${g.p50.toFixed(0)} ms p99 ${g.p99.toFixed(0)} ms max ${g.max.toFixed(0)} ms  dropped ${g.dropped}  ${(g.bytesPerTick / 1e6).toFixed(3)} MB/client/tick`,
    );
  }
  console.log(
    `  server: CPU ${(r.cpu * 100).toFixed(0)} % of a core, RSS max ${r.rssMax.toFixed(0)} MB, /healthz p99 ${r.healthP99.toFixed(1)} ms max ${r.healthMax.toFixed(0)} ms` +
      (r.lagMaxMs === undefined
        ? ''
        : `, event-loop delay max ${r.lagMaxMs.toFixed(0)} ms, clients dropped (bridge counter) ${r.droppedByBridge}`),
  );
  if (r.loop) {
    const l = r.loop;
    console.log(
      `  loop blocks over 20 ms: ${l.blocks}, longest ${l.maxBlockMs.toFixed(0)} ms; the longest time on a CPU within one ${l.maxCpuBlockMs.toFixed(1)} ms ` +
        `(over 20 ms in ${l.cpuBlocksOver20}); the bridge's main thread waited for a core ${(l.waitShare * 100).toFixed(1)} % of the window`,
    );
  }
  for (const line of r.extra) console.log(`  ${line}`);
}

// ---- the run ------------------------------------------------------------------------------------------------
const want = (phase: string) => only === undefined || only.includes(phase);
const frameSizes = new Map<number, number>();
console.log(
  `bridge fan-out: ${SECONDS} s per phase, interval ${INTERVAL_MS} ms, ${OTHER_KEYS} other keys; load average ${readFileSync('/proc/loadavg', 'utf8').trim()}`,
);

async function phases(cli: string, label: string, current: boolean): Promise<void> {
  const tenK = new HeartbeatWriter(writer, 10_000);
  if (want('full')) {
    await tenK.start(1);
    const bridge = await startBridge(cli);
    const groups = [{ name: 'full, all apps', count: 100, path: '/api/pulse/stream' }];
    if (current) groups.push({ name: 'full, ?app=app-7', count: 100, path: '/api/pulse/stream?app=app-7' });
    const r = await runPhase(bridge, groups);
    frameSizes.set(10_000, r.groups[0]?.bytesPerTick ?? 0);
    report(`${label} · full: 10,000 servers all changing`, r);
    await stopTarget(bridge);
    await tenK.stop();
  }
  if (want('zenith')) {
    // Zenith's own setting: one reader of the whole state, in full mode (its default), in a realistic fleet.
    await tenK.start(0.2);
    const bridge = await startBridge(cli);
    const r = await runPhase(bridge, [{ name: 'full, all apps', count: 1, path: '/api/pulse/stream' }]);
    report(`${label} · zenith: 10,000 servers, 40 % changing per tick, one full reader`, r);
    await stopTarget(bridge);
    await tenK.stop();
  }
  if (want('many-apps')) {
    // Zenith alone again, but the same servers in 5,000 apps of two: a pulse is ~10,000 small buffers.
    const manyApps = new HeartbeatWriter(writer, 10_000, 5_000);
    await manyApps.start(0.2);
    const bridge = await startBridge(cli);
    const r = await runPhase(bridge, [{ name: 'full, all apps', count: 1, path: '/api/pulse/stream' }]);
    report(`${label} · many-apps: 10,000 servers in 5,000 apps, 40 % changing per tick, one full reader`, r);
    await stopTarget(bridge);
    await manyApps.stop();
  }
  if (want('delta') && current) {
    await tenK.start(0.05);
    const bridge = await startBridge(cli);
    const r = await runPhase(bridge, [{ name: 'delta, all apps', count: 1_000, path: '/api/pulse/stream?mode=delta' }]);
    const full = frameSizes.get(10_000);
    if (full)
      r.extra.push(
        `delta bytes per client per tick: ${(((r.groups[0]?.bytesPerTick ?? 0) / full) * 100).toFixed(1)} % of a full system_pulse`,
      );
    report(`${label} · delta: 10,000 servers, 10 % changing per tick`, r);
    await stopTarget(bridge);
    await tenK.stop();
  }
  if (want('stalled')) {
    await tenK.start(1);
    const bridge = await startBridge(cli);
    const readers = [{ name: 'full, all apps (readers)', count: 10, path: '/api/pulse/stream' }];
    // The same readers and poll without the stalled clients first: the RSS their memory should come back to.
    const alone = await runPhase(bridge, readers, 0, 30);
    report(`${label} · stalled, before: the 10 readers alone`, alone);
    const r = await runPhase(bridge, readers, 100);
    report(`${label} · stalled: 10,000 servers all changing, 100 clients that never read`, r);
    await stopTarget(bridge);
    await tenK.stop();
  }
  if (want('full-1k')) {
    const oneK = new HeartbeatWriter(writer, 1_000);
    await oneK.start(1);
    const bridge = await startBridge(cli);
    const r = await runPhase(bridge, [{ name: 'full, all apps', count: 1_000, path: '/api/pulse/stream' }]);
    frameSizes.set(1_000, r.groups[0]?.bytesPerTick ?? 0);
    report(`${label} · full-1k: 1,000 servers all changing`, r);
    await stopTarget(bridge);
    await oneK.stop();
  }
}

await phases(CLI, 'this bridge', true);
if (want('ceiling')) {
  for (const [servers, readers] of [
    [10_000, 100],
    [1_000, 1_000],
  ] as const) {
    // Without a full phase in this run, the frame sizes this bench's heartbeats give.
    const size = frameSizes.get(servers) || servers * 770;
    const ceiling = await startCeiling(Math.round(size));
    const r = await runPhase(ceiling, [{ name: `bare Node, ${(size / 1e6).toFixed(2)} MB frames`, count: readers, path: '/' }]);
    report(`ceiling · ${readers} readers of the frame size at ${servers} servers`, r);
    await stopTarget(ceiling);
  }
}
if (args.baseline) await phases(args.baseline, 'baseline bridge', false);

await redis.stop();
process.exit(0);
