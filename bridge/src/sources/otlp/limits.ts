/**
 * The receiver's bounds. Every one of them, when hit, refuses the request with its own status and is counted
 * (`pulse_bridge_otlp_events_total{event="refused_…"}`); nothing is ever half-read into memory past them.
 */
export const OTLP_LIMITS = {
  /**
   * Body bytes, after decompression (OTLP's suggested 20 MiB is for a Collector; a bridge is one small process, and
   * an SDK's default batch of 512 spans is well under 1 MiB). Past it: 413.
   */
  bodyBytes: 4 * 1024 * 1024,
  /** Attributes (key-value pairs, at any depth) in one request. Past it: 413. */
  attributes: 65_536,
  /** Spans in one request (an SDK's default batch is 512). Past it: 413. */
  spans: 8_192,
  /** Metric data points in one request. Past it: 413. */
  points: 16_384,
  /** Nesting of attribute values (a map in a list in a map…); OpenTelemetry's own attributes are flat. Past it: 400. */
  valueDepth: 8,
  /** Requests read, decoded or written at once; past it: 429 with Retry-After. */
  concurrentRequests: 8,
} as const;

/**
 * OTLP JSON's own shape nests 12 levels (resourceSpans → … → attributes → value); each nested attribute value
 * adds 3 more (kvlistValue → values → a key-value → value).
 */
export const OTLP_JSON_MAX_DEPTH = 12 + 3 * OTLP_LIMITS.valueDepth;

/** Seconds a client waits before retrying a request refused while Redis cannot take writes, or while busy. */
export const RETRY_AFTER_SECONDS = 1;

/** Why a request was refused: its HTTP status, its gRPC code (for the `google.rpc.Status` body) and the counter event. */
export class OtlpRefusal extends Error {
  override name = 'OtlpRefusal';
  constructor(
    readonly status: 400 | 413 | 415 | 429 | 503,
    readonly event: OtlpRefusalEvent,
    message: string,
  ) {
    super(message);
  }

  get retryable(): boolean {
    return this.status === 429 || this.status === 503;
  }
}

export const OTLP_REFUSAL_EVENTS = [
  'refused_not_otlp',
  'refused_media_type',
  'refused_body_bytes',
  'refused_attributes',
  'refused_spans',
  'refused_points',
  'refused_depth',
  'refused_busy',
  'refused_redis',
] as const;
export type OtlpRefusalEvent = (typeof OTLP_REFUSAL_EVENTS)[number];

/** What one request decoded so far, against the caps above. */
export class DecodeTally {
  attributes = 0;
  spans = 0;
  points = 0;
  depth = 0;

  attribute(): void {
    if (++this.attributes > OTLP_LIMITS.attributes) {
      throw new OtlpRefusal(
        413,
        'refused_attributes',
        `more than ${OTLP_LIMITS.attributes} attributes in one request: send smaller batches`,
      );
    }
  }

  span(): void {
    if (++this.spans > OTLP_LIMITS.spans)
      throw new OtlpRefusal(413, 'refused_spans', `more than ${OTLP_LIMITS.spans} spans in one request: send smaller batches`);
  }

  point(): void {
    if (++this.points > OTLP_LIMITS.points) {
      throw new OtlpRefusal(413, 'refused_points', `more than ${OTLP_LIMITS.points} data points in one request: send smaller batches`);
    }
  }

  tooDeep(): never {
    throw new OtlpRefusal(400, 'refused_depth', `attribute values nested deeper than ${OTLP_LIMITS.valueDepth} levels`);
  }
}
