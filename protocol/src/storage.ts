import { SLOW_STREAM_FIELD } from './constants.js';
import type { ErrorEntry, SlowEntry } from './schema/entries.js';
import { errorEntryValidator, slowEntryValidator, type Validation } from './validate.js';

/**
 * How entries sit in Redis:
 * - a slow entry is one stream entry with one field, `entry`, holding the SlowEntry JSON:
 *   `XADD pulse:slow:{app} MAXLEN ~ 1000 * entry <json>`;
 * - an exception is one sorted-set member, the ErrorEntry JSON (unique through its `id`),
 *   scored by its timestamp in ms: `ZADD pulse:errors:{app} <timestamp> <json>`.
 */

export function slowStreamFields(entry: SlowEntry): [string, string] {
  return [SLOW_STREAM_FIELD, JSON.stringify(entry)];
}

/** Reads a stream entry's flat field list (`[field, value, …]`), as XRANGE returns it. */
export function parseSlowStreamFields(fields: readonly string[]): Validation<SlowEntry> {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === SLOW_STREAM_FIELD) return slowEntryValidator.parse(fields[i + 1]);
  }
  return { ok: false, error: `invalid slow entry: no "${SLOW_STREAM_FIELD}" field` };
}

export function errorMember(entry: ErrorEntry): { score: number; member: string } {
  return { score: entry.timestamp, member: JSON.stringify(entry) };
}

export function parseErrorMember(member: string): Validation<ErrorEntry> {
  return errorEntryValidator.parse(member);
}
