import type { OtlpAnyValue, OtlpBytes, OtlpInt64, OtlpKeyValue } from './types.js';

/** The scalar attribute types Pulse reads; arrays, maps and bytes are never read. */
export type OtlpScalar = string | number | boolean;

const TWO_TO_32 = 2 ** 32;

/** int64 as a JS number (exact below 2^53; nanosecond times lose only sub-microsecond digits), else `undefined`. */
export function int64(value: OtlpInt64 | undefined): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string') return /^-?[0-9]{1,20}$/.test(value) ? Number(value) : undefined;
  if (typeof value === 'object' && value !== null && typeof value.low === 'number' && typeof value.high === 'number') {
    const high = value.unsigned ? value.high >>> 0 : value.high | 0;
    return high * TWO_TO_32 + (value.low >>> 0);
  }
  return undefined;
}

/** A `…UnixNano` time in epoch ms, or `undefined` when absent or 0 (OTLP's "unset"). */
export function nanosToMillis(value: OtlpInt64 | undefined): number | undefined {
  const nanos = int64(value);
  return nanos === undefined || nanos <= 0 ? undefined : nanos / 1e6;
}

const HEX_ID = /^[0-9a-fA-F]+$/;

/** A trace or span id as lowercase hex of `bytes` bytes, or `undefined` when absent, of another size or all zeros. */
export function hexId(value: OtlpBytes | undefined, bytes: number): string | undefined {
  let hex: string | undefined;
  if (typeof value === 'string') hex = value.length === bytes * 2 && HEX_ID.test(value) ? value.toLowerCase() : undefined;
  else if (value instanceof Uint8Array && value.length === bytes) {
    hex = '';
    for (const byte of value) hex += byte.toString(16).padStart(2, '0');
  }
  return hex === undefined || /^0+$/.test(hex) ? undefined : hex;
}

/** The scalar value of attribute `key` (the first one: OTLP keys are unique), or `undefined`. */
export function attribute(attributes: OtlpKeyValue[] | undefined, key: string): OtlpScalar | undefined {
  if (!Array.isArray(attributes)) return undefined;
  for (const kv of attributes) {
    if (kv?.key === key) return scalar(kv.value);
  }
  return undefined;
}

/** An attribute's value if it is a scalar (string, int64 as a number, double, bool), else `undefined`. */
export function scalar(v: OtlpAnyValue | undefined): OtlpScalar | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  if (typeof v.stringValue === 'string' && Object.hasOwn(v, 'stringValue')) return v.stringValue;
  if (Object.hasOwn(v, 'intValue')) return int64(v.intValue);
  if (typeof v.doubleValue === 'number' && Object.hasOwn(v, 'doubleValue')) return v.doubleValue;
  if (typeof v.boolValue === 'boolean' && Object.hasOwn(v, 'boolValue')) return v.boolValue;
  return undefined;
}

/** A non-empty string attribute, else `undefined`. */
export function textAttribute(attributes: OtlpKeyValue[] | undefined, key: string): string | undefined {
  const v = attribute(attributes, key);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The first of `keys` (a current semantic-convention name, then older ones) that is a non-empty string. */
export function firstText(attributes: OtlpKeyValue[] | undefined, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const v = textAttribute(attributes, key);
    if (v !== undefined) return v;
  }
  return undefined;
}

/** An integer attribute (or a numeric string), else `undefined`. */
export function integerAttribute(attributes: OtlpKeyValue[] | undefined, key: string): number | undefined {
  const v = attribute(attributes, key);
  const n = typeof v === 'string' && v !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) ? n : undefined;
}

/** An array, or empty for anything else (a hostile body may hold an object or a string where a list belongs). */
export function list<T>(value: T[] | undefined): T[] {
  return Array.isArray(value) ? value : [];
}
