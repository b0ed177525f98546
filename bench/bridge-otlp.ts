// The OTLP receiver's cost on one core: spans and metric points per second through decode (protobuf and JSON) and
// the protocol's mapping, with Redis writes counted instead of sent, and the bytes each slow span writes to Redis, side
// by side with the Node exporter's own path (PulseSpanProcessor.onEnd and its XADD) for the same spans.
//   node --import tsx --expose-gc bench/bridge-otlp.ts

import type { WriteCommand } from '@gravito/pulse-protocol';
import { SpanKind } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { loadOtlpSchema } from '../bridge/src/sources/otlp/proto-schema.js';
import { OtlpReceiver } from '../bridge/src/sources/otlp/receiver.js';
import type { OtlpRedisWriter } from '../bridge/src/sources/otlp/redis-writer.js';
import { createPulse } from '../exporter/src/index.js';
import { entryCommands } from '../exporter/src/spans/entry-commands.js';
import { median } from './lib/median.js';

const BATCH = 512; // an SDK's default batch
const SLOW_SHARE = 0.1;
const ROUNDS = 7;
const schema = loadOtlpSchema();

let written: WriteCommand[] = [];
const countingWriter = {
  ready: () => true,
  write: async (c: readonly WriteCommand[]) => {
    written = [...c];
    return true;
  },
} as unknown as OtlpRedisWriter;
const receiver = new OtlpReceiver(schema, countingWriter);

const kv = (key: string, value: string | number) => ({
  key,
  value: typeof value === 'number' ? { intValue: String(value) } : { stringValue: value },
});
const resource = { attributes: [kv('service.name', 'bench'), kv('service.instance.id', 'web-1'), kv('telemetry.sdk.language', 'nodejs')] };
const now = Date.now();
const hex = (n: number, bytes: number) => n.toString(16).padStart(bytes * 2, '0');

function spansRequest(): unknown {
  const spans = Array.from({ length: BATCH }, (_, i) => {
    const slow = i < BATCH * SLOW_SHARE;
    const start = BigInt(now - 2_000) * 1_000_000n;
    return {
      traceId: hex(i + 1, 16),
      spanId: hex(i + 1, 8),
      name: 'GET /orders/:id',
      kind: 2,
      startTimeUnixNano: String(start),
      endTimeUnixNano: String(start + BigInt(slow ? 1_500 : 20) * 1_000_000n),
      attributes: [
        kv('http.request.method', 'GET'),
        kv('http.route', '/orders/:id'),
        kv('url.path', `/orders/${i}`),
        kv('http.response.status_code', 200),
        kv('server.address', 'web-1'),
        kv('user_agent.original', 'bench/1.0'),
      ],
      status: {},
    };
  });
  return { resourceSpans: [{ resource, scopeSpans: [{ scope: { name: '@opentelemetry/instrumentation-http' }, spans }] }] };
}

/** About what host-metrics sends for a 4-CPU host: CPU per state and CPU, memory, process, network. */
function metricsRequest(): unknown {
  const t = String(BigInt(now) * 1_000_000n);
  const point = (v: number, attrs: Array<ReturnType<typeof kv>>) => ({
    timeUnixNano: t,
    startTimeUnixNano: t,
    asDouble: v,
    attributes: attrs,
  });
  const cpu = (name: string) => ({
    name,
    gauge: {
      dataPoints: [0, 1, 2, 3].flatMap((n) =>
        ['user', 'system', 'idle', 'interrupt', 'nice'].map((s) =>
          point(0.1, [kv('system.cpu.state', s), kv('system.cpu.logical_number', n)]),
        ),
      ),
    },
  });
  const metrics = [
    cpu('system.cpu.utilization'),
    cpu('system.cpu.time'),
    { name: 'system.memory.usage', gauge: { dataPoints: ['used', 'free'].map((s) => point(1e9, [kv('system.memory.state', s)])) } },
    { name: 'process.cpu.utilization', gauge: { dataPoints: ['user', 'system'].map((s) => point(0.01, [kv('process.cpu.state', s)])) } },
    { name: 'process.memory.usage', gauge: { dataPoints: [point(1e8, [])] } },
    {
      name: 'system.network.io',
      gauge: {
        dataPoints: ['eth0', 'lo'].flatMap((d) =>
          ['receive', 'transmit'].map((x) => point(1e6, [kv('system.device', d), kv('network.io.direction', x)])),
        ),
      },
    },
  ];
  return { resourceMetrics: [{ resource, scopeMetrics: [{ scope: { name: 'host-metrics' }, metrics }] }] };
}

function protobufOf(type: 'metrics' | 'traces', request: unknown): Uint8Array {
  const withBytes = JSON.parse(JSON.stringify(request), (key, value) =>
    (key === 'traceId' || key === 'spanId') && typeof value === 'string' ? Buffer.from(value, 'hex') : value,
  );
  const t = type === 'metrics' ? schema.metricsRequest : schema.tracesRequest;
  return t.encode(t.fromObject(withBytes)).finish();
}

async function perSecond(signal: 'metrics' | 'traces', encoding: 'protobuf' | 'json', body: Uint8Array, items: number): Promise<number> {
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const iterations = signal === 'traces' ? 200 : 2_000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await receiver.receive(signal, encoding, body, now);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r > 0) rates.push((iterations * items) / seconds);
  }
  return median(rates);
}

const spans = spansRequest();
const metrics = metricsRequest();
const points = 4 * 5 * 2 + 2 + 2 + 1 + 4;
const bodies = {
  traces: { protobuf: protobufOf('traces', spans), json: Buffer.from(JSON.stringify(spans)) },
  metrics: { protobuf: protobufOf('metrics', metrics), json: Buffer.from(JSON.stringify(metrics)) },
};
console.log(
  `one batch: ${BATCH} SERVER spans (${SLOW_SHARE * 100} % slow), ${bodies.traces.protobuf.length} B protobuf, ${bodies.traces.json.length} B JSON; one host-metrics export: ${points} points, ${bodies.metrics.protobuf.length} B protobuf, ${bodies.metrics.json.length} B JSON`,
);
console.log('| receiver (decode + map + commands, Redis not sent) | protobuf | JSON |');
console.log('|---|---|---|');
for (const signal of ['traces', 'metrics'] as const) {
  const items = signal === 'traces' ? BATCH : points;
  const p = await perSecond(signal, 'protobuf', bodies[signal].protobuf, items);
  const j = await perSecond(signal, 'json', bodies[signal].json, items);
  const unit = signal === 'traces' ? 'spans/s' : 'points/s';
  console.log(`| ${signal} | ${Math.round(p).toLocaleString('en')} ${unit} | ${Math.round(j).toLocaleString('en')} ${unit} |`);
}

// Bytes written to Redis per slow span: the receiver's commands against the Node exporter's for the same span.
await receiver.receive('traces', 'json', bodies.traces.json, now);
const bytesOf = (commands: ReadonlyArray<readonly unknown[]>) =>
  commands.reduce((n, c) => n + c.reduce<number>((m, a) => m + Buffer.byteLength(String(a)), 0), 0);
const otlpSlow = written.filter((c) => c[0] === 'xadd');
const pulse = createPulse({ redis: 'redis://127.0.0.1:1', appName: 'bench', instanceId: 'web-1', writeTimeoutMs: 100 });
const tracer = new BasicTracerProvider({ spanProcessors: [pulse.spanProcessor] }).getTracer('b');
const t0 = process.hrtime.bigint();
const N = 100_000;
for (let i = 0; i < N; i++) {
  tracer
    .startSpan('GET /orders/:id', {
      kind: SpanKind.SERVER,
      startTime: now - 2_000,
      attributes: { 'http.request.method': 'GET', 'http.route': '/orders/:id', 'http.response.status_code': 200 },
    })
    .end(i < N * SLOW_SHARE ? now - 500 : now - 1_980);
}
const exporterNs = Number(process.hrtime.bigint() - t0) / N;
const slowEntry = JSON.parse(String(otlpSlow[0]?.[7] ?? '{}'));
const exporterCommands = entryCommands([{ type: 'slow', app: 'bench', entry: { ...slowEntry } }], now).commands;
console.log('| path | bytes to Redis per slow span | CPU per span (10 % slow) |');
console.log('|---|---|---|');
const receiverNs = 1e9 / (await perSecond('traces', 'protobuf', bodies.traces.protobuf, BATCH));
console.log(
  `| OTLP receiver (protobuf batch of ${BATCH}) | ${Math.round(bytesOf(otlpSlow) / otlpSlow.length)} B | ${receiverNs.toFixed(0)} ns |`,
);
console.log(
  `| Node exporter (PulseSpanProcessor.onEnd, in the app) | ${bytesOf(exporterCommands)} B | ${exporterNs.toFixed(0)} ns (start + end included) |`,
);
await pulse.shutdown();
