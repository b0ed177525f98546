import {
  ERRORS_MAX_MEMBERS,
  ERRORS_WINDOW_MS,
  MAX_HOST_STATE_BYTES,
  MAX_SLOW_ENTRY_BYTES,
  SLOW_STREAM_FIELD,
  SLOW_STREAM_HOST_FIELD,
  SLOW_STREAM_MAXLEN,
} from './constants.js';
import { errorsKey, slowKey } from './keys.js';
import type { ErrorEntry, SlowEntry } from './schema/entries.js';
import { errorEntryValidator, parseJson, slowEntryValidator, type Validation } from './validate.js';

/**
 * How entries sit in Redis:
 * - a slow entry is one stream entry whose field `entry` holds the SlowEntry JSON without its `host`, and whose
 *   field `host` holds the `host` JSON when there is one:
 *   `XADD pulse:slow:{app} MAXLEN ~ 1000 * entry <json> [host <json>]`. A GPP 1.0 reader reads `entry` and
 *   ignores `host`, so a newer writer's requests and jobs still reach it whole (README, "Readers and newer writers");
 * - an exception is one sorted-set member, the ErrorEntry JSON (unique through its `id`),
 *   scored by its timestamp in ms: `ZADD pulse:errors:{app} <timestamp> <json>`.
 */

export function slowStreamFields(entry: SlowEntry): string[] {
  if (entry.host === undefined) return [SLOW_STREAM_FIELD, JSON.stringify(entry)];
  const { host, ...rest } = entry;
  return [SLOW_STREAM_FIELD, JSON.stringify(rest), SLOW_STREAM_HOST_FIELD, JSON.stringify(host)];
}

/**
 * Reads a stream entry's flat field list (`[field, value, …]`), as XRANGE returns it: `entry`, joined with `host` when
 * there is one, then checked as one SlowEntry by the reader's rules. Other fields are ignored.
 */
export function parseSlowStreamFields(fields: readonly string[]): Validation<SlowEntry> {
  let entry: string | undefined;
  let host: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === SLOW_STREAM_FIELD) entry ??= fields[i + 1];
    else if (fields[i] === SLOW_STREAM_HOST_FIELD) host ??= fields[i + 1];
  }
  if (entry === undefined) return { ok: false, error: `invalid slow entry: no "${SLOW_STREAM_FIELD}" field` };
  if (host === undefined) return slowEntryValidator.parse(entry);
  const parsedEntry = parseJson(entry, 'slow entry', MAX_SLOW_ENTRY_BYTES);
  if (!parsedEntry.ok) return parsedEntry;
  const parsedHost = parseJson(host, 'slow entry host', MAX_HOST_STATE_BYTES);
  if (!parsedHost.ok) return parsedHost;
  const joined = parsedEntry.value;
  if (typeof joined === 'object' && joined !== null) (joined as { host?: unknown }).host = parsedHost.value;
  return slowEntryValidator.read(joined);
}

export function errorMember(entry: ErrorEntry): { score: number; member: string } {
  return { score: entry.timestamp, member: JSON.stringify(entry) };
}

export function parseErrorMember(member: string): Validation<ErrorEntry> {
  return errorEntryValidator.parse(member);
}

/** A Redis command as a writer sends it: name, key, arguments. */
export type WriteCommand = readonly [name: string, key: string, ...args: Array<string | number>];

/** A writer's write of one slow entry (validated first): `XADD pulse:slow:{app} MAXLEN ~ 1000 * entry <json> [host <json>]`. */
export function slowEntryWrite(app: string, entry: SlowEntry): WriteCommand {
  return ['xadd', slowKey(app), 'MAXLEN', '~', SLOW_STREAM_MAXLEN, '*', ...slowStreamFields(entry)];
}

/** A writer's write of one exception (validated first): `ZADD pulse:errors:{app} <timestamp> <json>`. */
export function errorEntryWrite(app: string, entry: ErrorEntry): WriteCommand {
  const { score, member } = errorMember(entry);
  return ['zadd', errorsKey(app), score, member];
}

/**
 * What a writer sends once per app and flush after its exceptions, at `now` (ms): the members older than the window
 * and past the cap removed, and the set's expiry renewed, so that an idle app's set is gone an hour after its last
 * exception.
 */
export function errorSetTrims(app: string, now: number): WriteCommand[] {
  const key = errorsKey(app);
  return [
    ['zremrangebyscore', key, '-inf', `(${now - ERRORS_WINDOW_MS}`],
    ['zremrangebyrank', key, 0, -(ERRORS_MAX_MEMBERS + 1)],
    ['expire', key, Math.ceil(ERRORS_WINDOW_MS / 1000)],
  ];
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
