/**
 * An OTLP export request as a receiver holds it once decoded, in either of OTLP/HTTP's encodings:
 * - OTLP JSON, parsed: lowerCamelCase names, trace and span ids as hex strings, enums as integers, int64 as a
 *   number or a decimal string;
 * - binary protobuf, decoded by protobufjs from opentelemetry-proto: the same names, ids as bytes, int64 as a Long.
 * Only the fields Pulse reads are listed; anything else is ignored. Nothing here is trusted: the mapping checks every
 * value's type, since the body comes from the network.
 */

/** int64: a number or a decimal string (OTLP JSON), or a protobufjs Long (`{ low, high }`). */
export type OtlpInt64 = number | string | { low: number; high: number; unsigned?: boolean };
/** bytes: hex (OTLP JSON's trace and span ids) or raw bytes (protobuf). */
export type OtlpBytes = string | Uint8Array;

export interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: OtlpInt64;
  doubleValue?: number;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
  bytesValue?: OtlpBytes;
}

export interface OtlpKeyValue {
  key?: string;
  value?: OtlpAnyValue;
}

export interface OtlpResource {
  attributes?: OtlpKeyValue[];
}

export interface OtlpNumberDataPoint {
  attributes?: OtlpKeyValue[];
  startTimeUnixNano?: OtlpInt64;
  timeUnixNano?: OtlpInt64;
  asDouble?: number;
  asInt?: OtlpInt64;
}

/** A histogram's point: Pulse reads only its count and sum (a mean), e.g. of `nodejs.eventloop.delay` where sent so. */
export interface OtlpHistogramDataPoint {
  attributes?: OtlpKeyValue[];
  timeUnixNano?: OtlpInt64;
  count?: OtlpInt64;
  sum?: number;
}

export interface OtlpMetric {
  name?: string;
  unit?: string;
  gauge?: { dataPoints?: OtlpNumberDataPoint[] };
  sum?: { dataPoints?: OtlpNumberDataPoint[]; aggregationTemporality?: number; isMonotonic?: boolean };
  histogram?: { dataPoints?: OtlpHistogramDataPoint[] };
  exponentialHistogram?: { dataPoints?: unknown[] };
  summary?: { dataPoints?: unknown[] };
}

export interface OtlpMetricsRequest {
  resourceMetrics?: Array<{ resource?: OtlpResource; scopeMetrics?: Array<{ metrics?: OtlpMetric[] }> }>;
}

export interface OtlpSpanEvent {
  timeUnixNano?: OtlpInt64;
  name?: string;
  attributes?: OtlpKeyValue[];
}

export interface OtlpSpan {
  traceId?: OtlpBytes;
  spanId?: OtlpBytes;
  name?: string;
  /** 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind?: number;
  startTimeUnixNano?: OtlpInt64;
  endTimeUnixNano?: OtlpInt64;
  attributes?: OtlpKeyValue[];
  events?: OtlpSpanEvent[];
}

export interface OtlpTracesRequest {
  resourceSpans?: Array<{ resource?: OtlpResource; scopeSpans?: Array<{ spans?: OtlpSpan[] }> }>;
}

/** OTLP's span kinds (`Span.SpanKind`), as integers in both encodings. */
export const OTLP_SPAN_KIND = { server: 2, client: 3, consumer: 5 } as const;
