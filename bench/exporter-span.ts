// span.end() cost with no processor, with PulseSpanProcessor and with BatchSpanProcessor (fast SERVER and CLIENT
// spans), then onEnd of slow spans that become entries (a request, a query, an outgoing request) with and without the
// host snapshot, then the slow-span path: slow spans/s accepted while Redis is unreachable, and heap growth.
//   node --import tsx --expose-gc bench/exporter-span.ts
// For instruction counts, CALLGRIND=<loop> CALLGRIND_N=<spans> runs one loop under valgrind, after CALLGRIND_WARMUP
// (30,000) spans of the same loop so that the JIT has settled, and counts only that loop (callgrind_control turns
// instrumentation on and off around it): `server-none`, `server-pulse`, `client-none`, `client-pulse` (fast spans,
// start+end, without or with Pulse's processor) or `onend-with`, `onend-without` (onEnd of slow spans that become
// entries, with or without the host snapshot). Without tsx, whose loader thread is not deterministic, and with V8 on
// one thread (its background compiler and GC made identical runs differ by 3–30 %):
//   npx esbuild bench/exporter-span.ts --bundle --platform=node --format=esm --packages=external \
//     --outfile=node_modules/.cache/pulse-bench/exporter-span.mjs
//   CALLGRIND=onend-with valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/dev/null \
//     node --single-threaded node_modules/.cache/pulse-bench/exporter-span.mjs
// Collected / CALLGRIND_N is the cost of one span (CALLGRIND_N=0 gives the toggles' own count, a few thousand).
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { SpanKind } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Redis } from 'ioredis';
import { HostStateHolder } from '../exporter/src/collect/host-state.js';
import { LoopDelayMonitor } from '../exporter/src/collect/loop-delay.js';
import { resolveOptions } from '../exporter/src/config/options.js';
import { IdentityCache } from '../exporter/src/identity.js';
import { createPulse } from '../exporter/src/index.js';
import { connect } from '../exporter/src/redis/connection.js';
import { RedisWriter } from '../exporter/src/redis/writer.js';
import { PulseSpanProcessor } from '../exporter/src/spans/pulse-span-processor.js';
import { RecorderStats } from '../exporter/src/stats.js';
import { median } from './lib/median.js';

/**
 * Processors as createPulse builds them, with or without the host snapshot, on a Redis client that never connects (its
 * writes are skipped), and slow spans that each become an entry.
 */
function benchProcessors() {
  const idle = new Redis({ lazyConnect: true, enableOfflineQueue: false });
  const o = resolveOptions({ redis: idle, appName: 'bench-entries', maxQueueSize: 100_000, flushIntervalMs: 60_000 });
  const stats = new RecorderStats();
  const connection = connect(o.redis, o.redisOptions, { writeTimeoutMs: 100, maxBackoffMs: 5_000 });
  const writer = new RedisWriter(connection, stats, 100);
  const identities = new IdentityCache(o);
  const host = new HostStateHolder(new LoopDelayMonitor().window());
  host.refresh(performance.now() + 2_000); // a state to share, as after the first second
  const processor = (hostState: HostStateHolder | undefined) => new PulseSpanProcessor({ ...o, writer, identities, stats, hostState });
  const ended: ReadableSpan[] = [];
  const tracer = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-entries' }),
    spanProcessors: [{ onStart() {}, onEnd: (span) => void ended.push(span), forceFlush: async () => {}, shutdown: async () => {} }],
  }).getTracer('b');
  const startTime = Date.now() - 1_500;
  const slow = {
    request: {
      kind: SpanKind.SERVER,
      attributes: { 'http.route': '/orders/:id', 'http.request.method': 'GET', 'http.response.status_code': 200 },
    },
    query: {
      kind: SpanKind.CLIENT,
      attributes: {
        'db.system.name': 'postgresql',
        'db.query.text': "SELECT * FROM orders WHERE customer_email = 'jane@example.com' AND id IN (1, 2, 3) LIMIT 50",
      },
    },
    outgoing: {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': 'GET',
        'url.full': 'http://127.0.0.1:8080/users/42/orders?page=2',
        'http.response.status_code': 200,
      },
    },
  };
  const spans = Object.fromEntries(
    Object.entries(slow).map(([name, options]) => {
      tracer.startSpan(name, { ...options, startTime }).end();
      return [name, ended.pop() as ReadableSpan];
    }),
  );
  return {
    host,
    processor,
    spans,
    close: () => {
      connection.close();
      idle.disconnect();
    },
  };
}

/** Spans a processor ends before it is replaced by a fresh one: its entries never pile up (no old-generation GC). */
const PER_PROCESSOR = 1_000;

/** `n` onEnd calls over `spans`, through processors from `make`, a fresh one every PER_PROCESSOR spans. */
async function endSlowSpans(n: number, spans: readonly ReadableSpan[], make: () => PulseSpanProcessor): Promise<void> {
  for (let done = 0; done < n; done += PER_PROCESSOR) {
    const p = make();
    for (let i = 0; i < PER_PROCESSOR && done + i < n; i++) p.onEnd(spans[(done + i) % spans.length] as ReadableSpan);
    await p.shutdown(); // Redis is not ready: drops the queued entries
  }
}

const noopExporter: SpanExporter = { export: (_s, cb) => cb({ code: ExportResultCode.SUCCESS }), shutdown: async () => {} };
const N = 200_000;
const ROUNDS = 7;

// A fast CLIENT span carries what pg's instrumentation sets: a system and a statement.
const fastKinds = {
  SERVER: { kind: SpanKind.SERVER, attributes: {} },
  CLIENT: { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql', 'db.query.text': 'SELECT 1' } },
};

const only = process.env.CALLGRIND;
if (only) {
  const [what, variant] = only.split('-') as [string, string];
  const { host, processor, spans, close } = benchProcessors();
  let loop: (n: number) => Promise<void>;
  if (what === 'onend') {
    loop = (n) => endSlowSpans(n, Object.values(spans), () => processor(variant === 'with' ? host : undefined));
  } else {
    const tracer = new BasicTracerProvider({ spanProcessors: variant === 'pulse' ? [processor(host)] : [] }).getTracer('b');
    const options = what === 'client' ? fastKinds.CLIENT : fastKinds.SERVER;
    loop = async (n) => {
      for (let i = 0; i < n; i++) tracer.startSpan('GET /fast', options).end();
    };
  }
  const instrumentation = (state: 'on' | 'off') =>
    execFileSync('callgrind_control', ['-i', state, String(process.pid)], { stdio: 'ignore' });
  await loop(Number(process.env.CALLGRIND_WARMUP ?? 30_000));
  instrumentation('on');
  await loop(Number(process.env.CALLGRIND_N ?? 20_000));
  instrumentation('off');
  host.stop();
  close();
  process.exit(0);
}

const pulse = createPulse({ redis: 'redis://127.0.0.1:1', appName: 'bench', writeTimeoutMs: 100 });
const setups: Array<[string, SpanProcessor[]]> = [
  ['no processor', []],
  ['PulseSpanProcessor', [pulse.spanProcessor]],
  ['BatchSpanProcessor (no-op exporter)', [new BatchSpanProcessor(noopExporter, { maxQueueSize: 4096 })]],
];
const tracers = setups.map(([name, spanProcessors]) => [name, new BasicTracerProvider({ spanProcessors }).getTracer('b')] as const);

function nsPerSpan(tracer: (typeof tracers)[number][1], options: (typeof fastKinds)[keyof typeof fastKinds]): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) tracer.startSpan('GET /fast', options).end();
  return Number(process.hrtime.bigint() - t0) / N;
}

for (const [kindName, options] of Object.entries(fastKinds)) {
  const results = new Map<string, number[]>();
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, tracer] of tracers) {
      const ns = nsPerSpan(tracer, options);
      if (r > 0) results.set(name, [...(results.get(name) ?? []), ns]); // round 0 warms up
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  const base = median(results.get('no processor') ?? [0]);
  console.log(`fast ${kindName} spans, start+end, ${N} × ${ROUNDS - 1} rounds, medians:`);
  console.log('| setup | ns per span | added over no processor |');
  console.log('|---|---|---|');
  for (const [name, xs] of results) console.log(`| ${name} | ${median(xs).toFixed(0)} | ${(median(xs) - base).toFixed(0)} ns |`);
}

// onEnd of slow spans that become entries: the same spans, alternately through processors with the host snapshot
// and without.
{
  const SLOW_N = 20_000;
  const { host, processor, spans, close } = benchProcessors();
  const times = new Map<string, number[]>();
  for (let r = 0; r < ROUNDS; r++) {
    for (const [kindName, span] of Object.entries(spans)) {
      for (const withHost of r % 2 === 0 ? [true, false] : [false, true]) {
        const t0 = process.hrtime.bigint();
        await endSlowSpans(SLOW_N, [span], () => processor(withHost ? host : undefined));
        const ns = Number(process.hrtime.bigint() - t0) / SLOW_N;
        const key = `${kindName}\t${withHost ? 'with' : 'without'}`;
        if (r > 0) times.set(key, [...(times.get(key) ?? []), ns]);
      }
    }
  }
  console.log(
    `\nonEnd of a slow span that becomes an entry, ${SLOW_N} × ${ROUNDS - 1} rounds (a fresh processor every ${PER_PROCESSOR}), medians, ns:`,
  );
  console.log('| span | with the host snapshot | without | difference |');
  console.log('|---|---|---|---|');
  for (const kindName of Object.keys(spans)) {
    const withHost = median(times.get(`${kindName}\twith`) ?? [0]);
    const without = median(times.get(`${kindName}\twithout`) ?? [0]);
    console.log(`| ${kindName} | ${withHost.toFixed(0)} | ${without.toFixed(0)} | ${(withHost - without).toFixed(0)} |`);
  }
  // The refresh that rides on the flush tick, once a second: forced here back to back.
  const REFRESHES = 2_000;
  const t0 = performance.now();
  for (let i = 1; i <= REFRESHES; i++) host.refresh(t0 + i * 2_000);
  console.log(
    `host state refresh (once a second on the flush tick): ${(((performance.now() - t0) / REFRESHES) * 1000).toFixed(1)} µs each`,
  );
  host.stop();
  close();
}

// Slow path: every span is over the threshold; Redis is unreachable, so after the queue fills up
// every entry is dropped and counted.
const slowTracer = tracers[1]?.[1];
if (slowTracer) {
  const started = Date.now() - 2_000;
  (globalThis as { gc?: () => void }).gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const SLOW = 500_000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < SLOW; i++) slowTracer.startSpan('slow-job', { kind: SpanKind.CONSUMER, startTime: started }).end();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  (globalThis as { gc?: () => void }).gc?.();
  const growth = process.memoryUsage().heapUsed - heap0;
  console.log(
    `slow path: ${SLOW} slow spans in ${seconds.toFixed(2)} s = ${Math.round(SLOW / seconds).toLocaleString('en')} spans/s; ` +
      `queued ${SLOW - pulse.stats.droppedEntries}, dropped (counted) ${pulse.stats.droppedEntries}; heap growth ${(growth / 1048576).toFixed(2)} MB`,
  );
}
await pulse.shutdown();
process.exit(0);
