import type { Attributes, Context, HrTime, SpanContext, SpanKind } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';

/**
 * The parts of a finished span that Pulse reads. The SDK's `ReadableSpan` lives in `@opentelemetry/sdk-trace-base`
 * on the 2.x line and in `@opentelemetry/sdk-trace` on 3.x; both have these fields, so Pulse's types (and its
 * declarations, which users compile against) depend on neither package.
 */
export interface ReadableSpan {
  readonly name: string;
  readonly kind: SpanKind;
  readonly startTime: HrTime;
  readonly duration: HrTime;
  readonly attributes: Attributes;
  readonly events: readonly TimedEvent[];
  readonly resource: Resource;
  spanContext(): SpanContext;
}

export interface TimedEvent {
  readonly name: string;
  readonly time: HrTime;
  readonly attributes?: Attributes;
}

/** The SDK's `SpanProcessor`, the same in 2.x and 3.x: what a TracerProvider's `spanProcessors` takes. */
export interface SpanProcessor {
  onStart(span: unknown, parentContext: Context): void;
  onEnd(span: ReadableSpan): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}
