// A strict TypeScript app on the OpenTelemetry 3.x line, compiled by .ci/otel3/peer-check.sh against the packed
// exporter without skipLibCheck: Pulse's published declarations, and what it hands to the 3.x SDK, type-check there.
import { createPulse, type Pulse, recordUnsampled } from '@gravito/pulse-node';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { NodeSDK } from '@opentelemetry/sdk-node';

const pulse: Pulse = createPulse({ redis: 'redis://127.0.0.1:6379', appName: 'ts-on-otel3', thresholdMs: 200 });
export const sdk = new NodeSDK({
  sampler: recordUnsampled(),
  metricReaders: [pulse.metricReader],
  spanProcessors: [pulse.spanProcessor],
  instrumentations: [new HttpInstrumentation()],
});
