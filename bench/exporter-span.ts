// span.end() cost with no processor, with PulseSpanProcessor and with BatchSpanProcessor (fast spans),
// then the slow-span path: slow spans/s accepted while Redis is unreachable, and heap growth.
//   node --import tsx --expose-gc bench/exporter-span.ts
import { SpanKind } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createPulse } from '../exporter/src/index.js';
import { median } from './lib/median.js';

const noopExporter: SpanExporter = { export: (_s, cb) => cb({ code: ExportResultCode.SUCCESS }), shutdown: async () => {} };
const N = 200_000;
const ROUNDS = 7;

const pulse = createPulse({ redis: 'redis://127.0.0.1:1', appName: 'bench', writeTimeoutMs: 100 });
const setups: Array<[string, SpanProcessor[]]> = [
  ['no processor', []],
  ['PulseSpanProcessor', [pulse.spanProcessor]],
  ['BatchSpanProcessor (no-op exporter)', [new BatchSpanProcessor(noopExporter, { maxQueueSize: 4096 })]],
];
const tracers = setups.map(([name, spanProcessors]) => [name, new BasicTracerProvider({ spanProcessors }).getTracer('b')] as const);

function nsPerSpan(tracer: (typeof tracers)[number][1]): { start: bigint; total: number } {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) tracer.startSpan('GET /fast', { kind: SpanKind.SERVER }).end();
  return { start: t0, total: Number(process.hrtime.bigint() - t0) / N };
}

const results = new Map<string, number[]>();
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, tracer] of tracers) {
    const m = nsPerSpan(tracer);
    if (r > 0) results.set(name, [...(results.get(name) ?? []), m.total]); // round 0 warms up
    await new Promise((resolve) => setImmediate(resolve));
  }
}
const base = median(results.get('no processor') ?? [0]);
console.log(`fast SERVER spans, start+end, ${N} × ${ROUNDS - 1} rounds, medians:`);
console.log('| setup | ns per span | added over no processor |');
console.log('|---|---|---|');
for (const [name, xs] of results) console.log(`| ${name} | ${median(xs).toFixed(0)} | ${(median(xs) - base).toFixed(0)} ns |`);

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
