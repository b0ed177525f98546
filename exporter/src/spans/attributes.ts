import type { AttributeValue } from '@opentelemetry/api';

/** A non-empty string attribute, else `undefined`. */
export function text(value: AttributeValue | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** An HTTP status code (100–599), as a number or a numeric string, else `undefined`. */
export function httpStatus(value: AttributeValue | undefined): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 100 && n <= 599 ? n : undefined;
}

/** A positive integer attribute (a port, a line number), as a number or a numeric string, else `undefined`. */
export function positiveInteger(value: AttributeValue | undefined): number | undefined {
  const n = typeof value === 'string' && value !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : undefined;
}
