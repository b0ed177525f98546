/**
 * Redis key names of the Gravito Pulse Protocol, and the one rule that makes
 * an app name or server id safe inside a key. Every SDK must implement
 * `toSafeKeyPart` exactly like this; `vectors/keys.json` pins the behaviour.
 */

export const PULSE_KEY_PREFIX = 'pulse';

/** Longest app name or server id that may appear inside a key. */
export const KEY_PART_MAX_LENGTH = 64;

/** Characters allowed in a key part: none of them is special to key parsing (`:`) or to SCAN MATCH globs (`* ? [ ] \`), nor a cluster hash tag (`{ }`). */
const SAFE_KEY_PART = /^[A-Za-z0-9._-]{1,64}$/;
const UNSAFE_CODE_POINT = /[^A-Za-z0-9._-]/gu;
/** What an empty name becomes, so that every heartbeat still gets a key. */
const EMPTY_KEY_PART = 'unknown';
/** An over-long part keeps this many characters, then `-` and an 8-hex hash of the whole input. */
const TRUNCATED_PREFIX_LENGTH = KEY_PART_MAX_LENGTH - 9;

export class PulseKeyError extends Error {
  override name = 'PulseKeyError';
}

export function isSafeKeyPart(part: string): boolean {
  return typeof part === 'string' && SAFE_KEY_PART.test(part);
}

/**
 * Escapes any name into a safe key part:
 * 1. every code point outside `[A-Za-z0-9._-]` becomes `_`;
 * 2. an empty result becomes `unknown`;
 * 3. a result longer than 64 characters keeps its first 55, then `-` and the
 *    FNV-1a 32-bit hash (8 lowercase hex digits) of the original input's UTF-8
 *    bytes, so that two long names that share a prefix stay apart.
 * Safe parts come back unchanged.
 */
export function toSafeKeyPart(name: string): string {
  const input = String(name);
  if (SAFE_KEY_PART.test(input)) return input;
  const escaped = input.replace(UNSAFE_CODE_POINT, '_');
  if (escaped.length === 0) return EMPTY_KEY_PART;
  if (escaped.length <= KEY_PART_MAX_LENGTH) return escaped;
  return `${escaped.slice(0, TRUNCATED_PREFIX_LENGTH)}-${fnv1a32Hex(input)}`;
}

/** FNV-1a, 32 bits, over the UTF-8 bytes of `text`, as 8 lowercase hex digits. */
export function fnv1a32Hex(text: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

function requireSafe(kind: string, part: string): string {
  if (!isSafeKeyPart(part)) {
    throw new PulseKeyError(
      `unsafe ${kind} ${JSON.stringify(part)} in a Pulse key: use 1 to ${KEY_PART_MAX_LENGTH} characters of [A-Za-z0-9._-] (toSafeKeyPart escapes any name)`,
    );
  }
  return part;
}

/** `pulse:server:{app}:{id}`: one server's or process's latest heartbeat (JSON string, TTL). */
export function heartbeatKey(app: string, id: string): string {
  return `${PULSE_KEY_PREFIX}:server:${requireSafe('app', app)}:${requireSafe('id', id)}`;
}

/** `pulse:slow:{app}`: stream of slow requests and jobs. */
export function slowKey(app: string): string {
  return `${PULSE_KEY_PREFIX}:slow:${requireSafe('app', app)}`;
}

/** `pulse:errors:{app}`: sorted set of exceptions scored by time in ms. */
export function errorsKey(app: string): string {
  return `${PULSE_KEY_PREFIX}:errors:${requireSafe('app', app)}`;
}

/** SCAN MATCH pattern for every heartbeat key, of every app. */
export const HEARTBEAT_SCAN_PATTERN = `${PULSE_KEY_PREFIX}:server:*`;
/** SCAN MATCH patterns for the per-app slow streams and error sets. */
export const SLOW_SCAN_PATTERN = `${PULSE_KEY_PREFIX}:slow:*`;
export const ERRORS_SCAN_PATTERN = `${PULSE_KEY_PREFIX}:errors:*`;

export interface HeartbeatKeyParts {
  app: string;
  id: string;
}

/** Parses `pulse:server:{app}:{id}` back into its parts; anything else (including unsafe parts) gives `undefined`. */
export function parseHeartbeatKey(key: string): HeartbeatKeyParts | undefined {
  const parts = key.split(':');
  if (parts.length !== 4 || parts[0] !== PULSE_KEY_PREFIX || parts[1] !== 'server') return undefined;
  const [, , app, id] = parts as [string, string, string, string];
  return isSafeKeyPart(app) && isSafeKeyPart(id) ? { app, id } : undefined;
}

/** Parses `pulse:slow:{app}` or `pulse:errors:{app}` back into the app; anything else gives `undefined`. */
export function parseAppKey(key: string, kind: 'slow' | 'errors'): string | undefined {
  const parts = key.split(':');
  if (parts.length !== 3 || parts[0] !== PULSE_KEY_PREFIX || parts[1] !== kind) return undefined;
  const app = parts[2] as string;
  return isSafeKeyPart(app) ? app : undefined;
}

/** Periods of the history aggregates (see protocol/README.md, "History"). */
const HISTORY_PERIOD_PART = /^(1h|6h|24h|7d)$/;

function historyPrefix(app: string): string {
  // `{app}` is a cluster hash tag: an app's cursor and every one of its buckets live in one hash slot, so that one
  // script can move the cursor and the counts together, and a failover keeps or loses them together.
  return `${PULSE_KEY_PREFIX}:history:{${requireSafe('app', app)}}`;
}

function historyPeriodPart(period: string, start: number): string {
  if (!HISTORY_PERIOD_PART.test(period)) throw new PulseKeyError(`unknown history period ${JSON.stringify(period)} (1h, 6h, 24h or 7d)`);
  if (!Number.isSafeInteger(start) || start < 0) throw new PulseKeyError(`history bucket start must be epoch ms, got ${start}`);
  return `${period}:${start}`;
}

/** `pulse:history:{app}:cursor`: hash of how far the app's slow stream (`slow`) and exceptions (`errors`) are counted. */
export function historyCursorKey(app: string): string {
  return `${historyPrefix(app)}:cursor`;
}

/** `pulse:history:{app}:{period}:{start}`: hash of one bucket's slow groups, exception groups and health. */
export function historyBucketKey(app: string, period: string, start: number): string {
  return `${historyPrefix(app)}:${historyPeriodPart(period, start)}`;
}

/** `pulse:history:{app}:{period}:{start}:servers`: hash of one bucket's figures per server id. */
export function historyServersKey(app: string, period: string, start: number): string {
  return `${historyBucketKey(app, period, start)}:servers`;
}

/** `pulse:history:{app}:{period}:{start}:queues`: hash of one bucket's depth per queue (`driver:name`). */
export function historyQueuesKey(app: string, period: string, start: number): string {
  return `${historyBucketKey(app, period, start)}:queues`;
}

/** `pulse:history:apps`: sorted set of the apps with history, scored by their last write (epoch ms). */
export const HISTORY_APPS_KEY = `${PULSE_KEY_PREFIX}:history:apps`;
