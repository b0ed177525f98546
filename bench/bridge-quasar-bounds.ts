// The issue-22 acceptance scenario: Zenith agents' nodes of 63 KB (valid, under the 64 KiB bound) beside Pulse
// servers. The built bridge runs as a child process with a bounded heap (`--max-old-space-size`); a writer rewrites
// every node each 10 s (`EX 60`, as agents refresh theirs) and every heartbeat each 5 s (`EX 30`, as SDKs do). A
// client follows each stream (the main feed, full mode; Zenith's `/api/logs/stream`). Sampled: the bridge's RSS
// every 500 ms; /metrics every 2 s (polls, failed polls, Pulse servers online, Quasar nodes kept and left out).
//   npm run build && node --import tsx bench/bridge-quasar-bounds.ts
// Knobs: BENCH_NODES (10000), BENCH_SERVERS (1000), BENCH_SECONDS (120), BENCH_HEAP_MB (256; 0: no flag), BENCH_INTERVAL_MS
// (2000), BENCH_CLI (a bridge's cli.js, default the built one). The last line is `RESULT {json}`:
// bridge/test/quasar-bounds.test.ts runs a shorter version and checks it.

import { readFileSync } from 'node:fs';
import { heartbeatKey, type PulseNode, quasarNodeKey } from '@gravito/pulse-protocol';
import { freePort, startRedis } from '@gravito/pulse-testkit';
import { Child, waitForHttp } from '../scripts/demo/processes.js';
import { builtBridgeCli, heartbeatTemplate, inPipelines } from './lib/bridge-setup.js';

const NODES = Number(process.env.BENCH_NODES ?? 10_000);
const SERVERS = Number(process.env.BENCH_SERVERS ?? 1_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 120);
const HEAP_MB = Number(process.env.BENCH_HEAP_MB ?? 256);
const INTERVAL_MS = Number(process.env.BENCH_INTERVAL_MS ?? 2_000);
const CLI = process.env.BENCH_CLI ?? builtBridgeCli('bench/bridge-quasar-bounds.ts');
/** A node's `meta` padding: with the rest of the node, ~63.6 KB, under the 64 KiB bound. */
const META_PAD = 63_000;
const APPS = 20;

const agent: PulseNode = JSON.parse(readFileSync(new URL('../protocol/vectors/pulse-node.json', import.meta.url), 'utf8')).cases[0].value;
const pad = 'x'.repeat(META_PAD);
const template = heartbeatTemplate();

const redis = await startRedis();
const client = redis.client();

/** One agents' round: every node rewritten with a fresh timestamp, `EX 60`, 100 a pipeline (6 MB). */
async function writeNodes(): Promise<void> {
  const timestamp = Date.now();
  await inPipelines(
    client,
    NODES,
    (pipeline, j) => {
      const node = { ...agent, id: `n${j}`, service: `big${j % 50}`, pid: 10_000 + j, meta: { pad }, timestamp };
      pipeline.set(quasarNodeKey(node.service, node.id), JSON.stringify(node), 'EX', 60);
    },
    100,
  );
}

/** One SDK round: every heartbeat, fresh, `EX 30`. */
async function writeServers(): Promise<void> {
  await inPipelines(client, SERVERS, (pipeline, i) => {
    const hb = structuredClone(template);
    hb.timestamp = Date.now();
    hb.meta.app_name = `pulse-${i % APPS}`;
    hb.meta.instance_id = `s${i}`;
    pipeline.set(heartbeatKey(`pulse-${i % APPS}`, `s${i}`), JSON.stringify(hb), 'EX', 30);
  });
}

/** Runs `write` every `ms`, never two at once. */
function every(ms: number, write: () => Promise<void>): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void write().finally(() => {
      busy = false;
    });
  }, ms);
  return () => clearInterval(timer);
}

const written = Date.now();
await writeNodes();
await writeServers();
console.log(
  `wrote ${NODES} nodes of ~${(JSON.stringify({ ...agent, meta: { pad } }).length / 1024).toFixed(1)} KB in ${Date.now() - written} ms`,
);
const stopNodes = every(10_000, writeNodes);
const stopServers = every(5_000, writeServers);

const fatal: string[] = [];
const warnings = new Set<string>();
const port = await freePort();
const heapFlag = HEAP_MB > 0 ? [`--max-old-space-size=${HEAP_MB}`] : [];
const bridge = new Child('bridge', process.execPath, [...heapFlag, CLI, '--port', String(port)], {
  cwd: process.cwd(),
  env: { ...process.env, REDIS_URL: redis.url, PULSE_LOG_LEVEL: 'info', PULSE_STREAM_INTERVAL_MS: String(INTERVAL_MS) },
  sink: (_name, line) => {
    if (/heap limit|FATAL|out of memory/i.test(line)) fatal.push(line);
    try {
      const entry = JSON.parse(line) as { level: number; msg: string };
      if (entry.level >= 40) warnings.add(entry.msg);
    } catch {}
  },
});
await bridge.waitForLine(/pulse-bridge listening/, 15_000);
const base = `http://127.0.0.1:${port}`;
const pid = bridge.process.pid as number;
// Measured from the first poll that read Redis.
await waitForHttp(`${base}/readyz`, 30_000, bridge);

/** A stream client that reads everything and counts events by name, and the ones whose text holds `flag`. */
function follow(path: string, event: string, flag?: string): { events: number; flagged: number; ended: boolean; stop: () => void } {
  const abort = new AbortController();
  const state = { events: 0, flagged: 0, ended: false, stop: () => abort.abort() };
  const marker = `\nevent: ${event}\n`;
  void (async () => {
    try {
      const res = await fetch(`${base}${path}`, { signal: abort.signal });
      let tail = '';
      for await (const chunk of (res.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream())) {
        const text = tail + chunk;
        state.events += text.split(marker).length - 1;
        if (flag) state.flagged += text.split(flag).length - 1;
        tail = text.slice(-64);
      }
    } catch {}
    state.ended = true;
  })();
  return state;
}
const feed = follow('/api/pulse/stream', 'system_pulse', '"poll_ok":false');
const zenith = follow('/api/logs/stream', 'pulse');

function rssMb(): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0; // the process is gone
  }
}

const metric = (text: string, series: string) =>
  Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);

const rss: number[] = [];
const pollTimes = new Set<number>();
let minPulseOnline = Number.POSITIVE_INFINITY;
let maxPollMs = 0;
let pollNotOkSamples = 0;
let last = '';
const started = Date.now();
for (let i = 0; Date.now() - started < SECONDS * 1_000 && bridge.running; i++) {
  rss.push(rssMb());
  if (i % 4 === 0) {
    const text = await fetch(`${base}/metrics`)
      .then((res) => res.text())
      .catch(() => '');
    if (text) {
      last = text;
      pollTimes.add(metric(text, 'pulse_bridge_last_poll_timestamp_seconds'));
      maxPollMs = Math.max(maxPollMs, metric(text, 'pulse_bridge_poll_duration_seconds') * 1_000);
      if (metric(text, 'pulse_bridge_poll_ok') !== 1) pollNotOkSamples++;
      let online = 0;
      for (const m of text.matchAll(/^pulse_app_servers\{app="pulse-\d+",status="online"\} (\d+)$/gm)) online += Number(m[1]);
      minPulseOnline = Math.min(minPulseOnline, online);
    }
  }
  await new Promise((r) => setTimeout(r, 500));
}
const seconds = (Date.now() - started) / 1_000;
const alive = bridge.running;
stopNodes();
stopServers();
feed.stop();
zenith.stop();

const sorted = [...rss].sort((a, b) => a - b);
const result = {
  nodes: NODES,
  servers: SERVERS,
  heapMb: HEAP_MB,
  intervalMs: INTERVAL_MS,
  seconds: Math.round(seconds),
  alive,
  fatal: fatal.slice(0, 3),
  rssMaxMb: Math.round(sorted[sorted.length - 1] ?? 0),
  rssMedianMb: Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0),
  pollsSeen: pollTimes.size,
  failedPolls: metric(last, 'pulse_bridge_failed_polls_total'),
  pollNotOkSamples,
  minPulseOnline,
  maxPollMs: Math.round(maxPollMs),
  quasarAgentsKept: metric(last, 'pulse_bridge_quasar_nodes{writer="agent"}'),
  quasarLeftOut: metric(last, 'pulse_bridge_quasar_dropped_total{kind="node"}'),
  quasarFailedReads: metric(last, 'pulse_bridge_quasar_dropped_total{kind="read"}'),
  feedPulses: feed.events,
  feedPollNotOk: feed.flagged,
  feedEnded: feed.ended && alive,
  zenithPulses: zenith.events,
  zenithSlowDropped: metric(last, 'pulse_bridge_zenith_stream_dropped_clients_total{reason="slow"}'),
  warnings: [...warnings],
};

console.log(
  `bridge: ${heapFlag[0] ?? 'default heap'}, poll every ${INTERVAL_MS} ms; ${NODES} agents' nodes of ~63 KB; ${SERVERS} Pulse servers`,
);
console.log(`  ran ${result.seconds} s: ${alive ? 'alive' : `DIED (${fatal[0] ?? bridge.recentOutput.slice(-300)})`}`);
console.log(`  RSS max ${result.rssMaxMb} MB, median ${result.rssMedianMb} MB (${rss.length} samples every 500 ms)`);
console.log(
  `  polls: ${result.pollsSeen} seen on /metrics, failed ${result.failedPolls}, poll_ok 0 in ${pollNotOkSamples} samples, longest ${result.maxPollMs} ms; Pulse servers online, fewest: ${minPulseOnline}/${SERVERS}`,
);
console.log(
  `  Quasar: ${result.quasarAgentsKept} agents kept, ${result.quasarLeftOut} node keys left out by the caps (all polls), ${result.quasarFailedReads} reads failed`,
);
console.log(
  `  streams: main feed ${feed.events} system_pulse (${feed.flagged} with poll_ok false), Zenith ${zenith.events} pulse, ${result.zenithSlowDropped} dropped as slow`,
);
console.log(`  bridge warnings: ${result.warnings.join(' | ') || 'none'}`);
console.log(`RESULT ${JSON.stringify(result)}`);

await bridge.stop();
// On a shared REDIS_URL server, what the bench wrote does not outlive it.
await inPipelines(client, NODES, (pipeline, j) => pipeline.del(quasarNodeKey(`big${j % 50}`, `n${j}`)));
await inPipelines(client, SERVERS, (pipeline, i) => pipeline.del(heartbeatKey(`pulse-${i % APPS}`, `s${i}`)));
client.disconnect();
await redis.stop();
process.exit(0);
