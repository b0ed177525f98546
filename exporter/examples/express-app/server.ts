// The example app with OpenTelemetry and Pulse.
//   REDIS_URL=redis://127.0.0.1:6379 node --import tsx exporter/examples/express-app/server.ts
// env: PORT (3000; 0 picks a free port), OTEL_SERVICE_NAME (example-app), REDIS_URL and every PULSE_*
//      variable of exporter/README.md (PULSE_APP_NAME, PULSE_INTERVAL_MS, …); for benchmarks: PULSE_DISABLED=1 (the same OTel setup without Pulse)
//      or PULSE_DISABLED=metrics (without Pulse, with a metric reader that keeps nothing: NodeSDK then
//      turns on the instrumentations' own metrics, as it does when Pulse's reader is there);
//      PULSE_MODE=recorder runs heartbeats through PulseRecorder and gives NodeSDK only the span processor.
import type { AddressInfo } from 'node:net';
import type { Context } from '@opentelemetry/api';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { AggregationType, type MetricReader, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createPulse, PulseRecorder, pulseOptionsFromEnv } from '../../src/index.js';

// This example exports nothing but Pulse: no OTLP endpoint is expected.
process.env.OTEL_TRACES_EXPORTER ??= 'none';
process.env.OTEL_METRICS_EXPORTER ??= 'none';
process.env.OTEL_LOGS_EXPORTER ??= 'none';
process.env.OTEL_SERVICE_NAME ??= process.env.PULSE_APP_NAME ?? 'example-app';

/** Stands in for "your own exporter" so that spans are recorded with or without Pulse. */
class NoopSpanProcessor implements SpanProcessor {
  onStart(_span: Span, _context: Context): void {}
  onEnd(_span: ReadableSpan): void {}
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

/** The benchmark's second baseline: a metrics pipeline that exports nothing. */
function keepNothingReader(): MetricReader {
  const exporter: PushMetricExporter = {
    export: (_metrics, callback) => callback({ code: 0 }),
    forceFlush: async () => {},
    shutdown: async () => {},
    selectAggregation: () => ({ type: AggregationType.DROP }),
  };
  return new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 5_000 });
}

const disabled = process.env.PULSE_DISABLED === '1' || process.env.PULSE_DISABLED === 'metrics';
// REDIS_URL and the PULSE_* variables, as the zero-code entry reads them.
const pulseOptions = pulseOptionsFromEnv();
// Without a metric reader in NodeSDK, the instrumentations record no metrics of their own.
const recorder = !disabled && process.env.PULSE_MODE === 'recorder' ? new PulseRecorder(pulseOptions).start() : undefined;
const pulse = disabled || recorder ? undefined : createPulse(pulseOptions);
const spanProcessor = pulse?.spanProcessor ?? recorder?.spanProcessor;

const sdk = new NodeSDK({
  metricReaders: pulse ? [pulse.metricReader] : process.env.PULSE_DISABLED === 'metrics' ? [keepNothingReader()] : [],
  spanProcessors: spanProcessor ? [spanProcessor, new NoopSpanProcessor()] : [new NoopSpanProcessor()],
  instrumentations: [new HttpInstrumentation(), new ExpressInstrumentation()],
});
sdk.start();

// Import the app only now, so that the instrumentations patch http and express first.
const { createApp } = await import('./app.js');
const server = createApp().listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(`listening on http://127.0.0.1:${port}`);
});

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  server.close();
  server.closeAllConnections();
  await sdk.shutdown().catch(() => {});
  await pulse?.shutdown();
  await recorder?.stop();
  process.exit(0);
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
