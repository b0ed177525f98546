import type { OtlpMetricsRequest, OtlpTracesRequest } from '@gravito/pulse-protocol';
import { DecodeTally, OTLP_JSON_MAX_DEPTH, OtlpRefusal } from './limits.js';
import type { OtlpSchema } from './proto-schema.js';

export type OtlpEncoding = 'protobuf' | 'json';
export type OtlpSignal = 'metrics' | 'traces';

/** OTLP/HTTP's two encodings, by Content-Type (parameters such as `charset` aside); anything else is 415. */
export function encodingOf(contentType: string | undefined): OtlpEncoding {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  throw new OtlpRefusal(
    415,
    'refused_media_type',
    `Content-Type ${JSON.stringify((contentType ?? '').slice(0, 64))} is not OTLP (application/x-protobuf or application/json)`,
  );
}

const notOtlp = (detail: string) =>
  new OtlpRefusal(400, 'refused_not_otlp', `the body is not an OTLP export request: ${detail.slice(0, 200)}`);

/** The arrays whose items the caps count, by their OTLP JSON name. */
const COUNTED: Readonly<Record<string, (tally: DecodeTally) => void>> = {
  attributes: (t) => t.attribute(),
  spans: (t) => t.span(),
  dataPoints: (t) => t.point(),
};

/**
 * Counts a parsed OTLP JSON document against the caps, without recursion (a hostile body may nest a million levels):
 * nesting depth, and the items of every `attributes`, `spans` and `dataPoints` array (and of nested key-value lists).
 */
function tallyJson(document: unknown, tally: DecodeTally): void {
  const stack: Array<{ value: unknown; depth: number; key?: string }> = [{ value: document, depth: 1 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, depth, key } = item;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > OTLP_JSON_MAX_DEPTH) tally.tooDeep();
    if (Array.isArray(value)) {
      const count = key === undefined ? undefined : (COUNTED[key] ?? (key === 'values' ? COUNTED.attributes : undefined));
      for (const element of value) {
        // A kvlist's `values` holds key-value pairs (attributes); an array value's `values` holds bare values.
        if (count !== undefined && (key !== 'values' || (typeof element === 'object' && element !== null && 'key' in element)))
          count(tally);
        stack.push({ value: element, depth: depth + 1 });
      }
    } else {
      for (const [childKey, child] of Object.entries(value)) stack.push({ value: child, depth: depth + 1, key: childKey });
    }
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The decoded export request. Protobuf: protobufjs over opentelemetry-proto, counted while it decodes (unknown fields
 * are skipped, as proto3 wants). JSON: strict UTF-8, `JSON.parse`, then counted; unknown fields are ignored by the
 * mapping, which reads only the fields it knows. A body that is neither is a 400.
 */
export function decodeRequest(
  schema: OtlpSchema,
  signal: OtlpSignal,
  encoding: OtlpEncoding,
  body: Uint8Array,
): { request: OtlpMetricsRequest | OtlpTracesRequest; tally: DecodeTally } {
  const tally = new DecodeTally();
  if (encoding === 'protobuf') {
    const type = signal === 'metrics' ? schema.metricsRequest : schema.tracesRequest;
    schema.countInto(tally);
    try {
      return { request: type.decode(body) as OtlpMetricsRequest | OtlpTracesRequest, tally };
    } catch (err) {
      if (err instanceof OtlpRefusal) throw err;
      throw notOtlp((err as Error).message);
    } finally {
      schema.countInto(undefined);
    }
  }
  let document: unknown;
  try {
    document = JSON.parse(utf8.decode(body));
  } catch (err) {
    throw notOtlp((err as Error).message);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw notOtlp('not a JSON object');
  const list = (document as Record<string, unknown>)[signal === 'metrics' ? 'resourceMetrics' : 'resourceSpans'];
  if (list !== undefined && !Array.isArray(list))
    throw notOtlp(`${signal === 'metrics' ? 'resourceMetrics' : 'resourceSpans'} is not a list`);
  tallyJson(document, tally);
  return { request: document as OtlpMetricsRequest | OtlpTracesRequest, tally };
}
