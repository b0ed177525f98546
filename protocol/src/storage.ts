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

/**
 * How far back a reader looks for a repeat of a slow entry. A writer whose `XADD` timed out after it reached Redis
 * writes the entry again at its next flush (seconds later): a second stream entry with a new stream id and the
 * same JSON. Readers that count (rates, histograms, lists) drop an entry whose identity they read within this
 * window, by stream-id time.
 */
export const SLOW_REPEAT_WINDOW_MS = 30_000;

/**
 * What makes two slow entries one event: the same span (`server_id`, `timestamp`, `name` and `span_id`), or, for
 * an entry without a span id, the same JSON. Two different requests never share a span id; without one, two
 * entries alike in every field, to the millisecond and the duration, are taken for one.
 */
export function slowEntryIdentity(entry: SlowEntry): string {
  return entry.span_id === undefined
    ? JSON.stringify(entry)
    : JSON.stringify([entry.server_id, entry.timestamp, entry.name, entry.span_id]);
}
