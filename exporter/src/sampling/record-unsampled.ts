// Sampler, SamplingResult and SamplingDecision come from @opentelemetry/api, Pulse's one required OpenTelemetry peer,
// not from the span SDK: the SDK's copies live in sdk-trace-base on the 2.x line and in sdk-trace on 3.x (the same
// split span-types.ts avoids for ReadableSpan), while the api's exist on both lines (1.9 and 1.10) and are what both
// lines' Tracers compare decisions against. The api marks them deprecated in favour of the SDK's, which are the same
// interface and the same numbers. The SDK's own `createAlwaysRecordSampler` does what this file does, but only
// sdk-trace (2.12 and later) has it: importing it would make the span SDK a runtime dependency for ten lines.
import { type Sampler, SamplingDecision, type SamplingResult } from '@opentelemetry/api';
import { nodeSdkDefaultSampler } from './node-sdk-default-sampler.js';

/**
 * A sampler that lets Pulse see every span, whatever the trace sampling decision. It asks `inner` first; when
 * `inner` says NOT_RECORD, it answers RECORD instead: the span is recording (span processors, Pulse's among them,
 * get it at its end) but its trace flags lack SAMPLED, so it is still not exported (the SDK's Batch and Simple span
 * processors skip such spans) and the outgoing `traceparent` still says not sampled. Trace ids, the inner
 * sampler's attributes and trace state, and every sampled decision are kept as they are.
 *
 * `inner` defaults to the sampler NodeSDK would use without one: `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG`,
 * else ParentBased(AlwaysOn).
 */
export function recordUnsampled(inner: Sampler = nodeSdkDefaultSampler()): Sampler {
  return {
    shouldSample(context, traceId, spanName, spanKind, attributes, links): SamplingResult {
      const result = inner.shouldSample(context, traceId, spanName, spanKind, attributes, links);
      return result.decision === SamplingDecision.NOT_RECORD ? { ...result, decision: SamplingDecision.RECORD } : result;
    },
    toString: () => `RecordUnsampled{${inner.toString()}}`,
  };
}
