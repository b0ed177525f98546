/**
 * A span's attributes as the naming rules read them: a record by key. The Node exporter passes the SDK's `attributes`
 * as they are; the OTLP mapping builds one from the request's key-value list (`otlpSpanAttributes`). Only scalar
 * values are read; anything else (arrays, maps, wrong types from the network) reads as absent.
 */
export type SpanAttributes = Readonly<Record<string, unknown>>;

/** A non-empty string attribute, else `undefined`. */
export function attributeText(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** An HTTP status code (100–599), as a number or a numeric string, else `undefined`. */
export function attributeHttpStatus(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 100 && n <= 599 ? n : undefined;
}

/** A positive integer attribute (a port, a line number), as a number or a numeric string, else `undefined`. */
export function attributePositiveInteger(value: unknown): number | undefined {
  const n = typeof value === 'string' && value !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : undefined;
}
