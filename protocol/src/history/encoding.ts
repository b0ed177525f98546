import { isKnownSlowKind } from '../slow-entry-tolerance.js';

/**
 * The fields of the history hashes (protocol/README.md, "History") and how a reader decodes them. Every value is
 * JSON; a field or value this version does not know is skipped, never an error, so that a newer writer can add
 * figures. Sums and counts are stored rather than averages, so that buckets can be added up.
 */

/** Bucket hash: `slow:<kind>:<name>` → `[count, sum_ms, max_ms]`. */
export const SLOW_FIELD_PREFIX = 'slow:';
/** Bucket hash: distinct slow groups in the bucket (bounded by the writer's cap). */
export const SLOW_GROUPS_FIELD = 'slow_groups';
/** Bucket hash: slow entries past the cap of distinct groups, counted here and not by name. */
export const SLOW_OTHER_FIELD = 'slow_other';
/** Bucket hash: `exc:<fingerprint>` → `{count, type, message, last_seen, servers}`. */
export const EXCEPTION_FIELD_PREFIX = 'exc:';
export const EXCEPTION_GROUPS_FIELD = 'exc_groups';
export const EXCEPTION_OTHER_FIELD = 'exc_other';
/** Bucket hash: `{health_sum, health_n, online, lost}` of the bucket's polls. */
export const HEALTH_FIELD = 'health';

export const slowField = (kind: string, name: string) => `${SLOW_FIELD_PREFIX}${kind}:${name}`;
export const exceptionField = (fingerprint: string) => `${EXCEPTION_FIELD_PREFIX}${fingerprint}`;
/** Queues hash field: the queue's driver and name. */
export const queueField = (driver: string, name: string) => `${driver}:${name}`;

/** `[sum, count, max]` of a gauge over a bucket's samples. */
export type GaugeStat = [sum: number, count: number, max: number];

export interface StoredSlowGroup {
  kind: string;
  name: string;
  count: number;
  sum_ms: number;
  max_ms: number;
}

export interface StoredExceptionGroup {
  fingerprint: string;
  type: string;
  message: string;
  count: number;
  last_seen: number;
  servers: string[];
}

export interface StoredHealth {
  health_sum: number;
  health_n: number;
  online: number;
  lost: number;
}

export interface StoredServerFigures {
  cpu?: GaugeStat;
  mem?: GaugeStat;
  loop?: GaugeStat;
}

export interface DecodedHistoryBucket {
  slow: StoredSlowGroup[];
  slowOther: number;
  exceptions: StoredExceptionGroup[];
  exceptionsOther: number;
  health?: StoredHealth;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A `[sum, count, max]` (or a slow group's `[count, sum, max]`) of three finite non-negative numbers, else undefined. */
export function decodeTriple(text: string): [number, number, number] | undefined {
  const value = parseJson(text);
  return Array.isArray(value) && value.length === 3 && value.every(isCount) ? (value as [number, number, number]) : undefined;
}

/** One `exc:<fingerprint>` value, else undefined. */
export function decodeExceptionGroup(fingerprint: string, text: string): StoredExceptionGroup | undefined {
  const v = parseJson(text) as Partial<StoredExceptionGroup> | undefined;
  if (!v || typeof v !== 'object' || !isCount(v.count) || !isCount(v.last_seen)) return undefined;
  if (typeof v.type !== 'string' || typeof v.message !== 'string') return undefined;
  // cjson writes an empty Lua table as `{}`: no servers.
  const servers = Array.isArray(v.servers) ? v.servers.filter((s): s is string => typeof s === 'string') : [];
  return { fingerprint, type: v.type, message: v.message, count: v.count, last_seen: v.last_seen, servers };
}

function decodeHealth(text: string): StoredHealth | undefined {
  const v = parseJson(text) as Partial<StoredHealth> | undefined;
  if (!v || typeof v !== 'object') return undefined;
  const { health_sum, health_n, online, lost } = v;
  return isCount(health_sum) && isCount(health_n) && isCount(online) && isCount(lost) ? { health_sum, health_n, online, lost } : undefined;
}

/** Reads one bucket hash (`HGETALL`, as field → value); unknown or malformed fields are skipped. */
export function decodeHistoryBucket(hash: Readonly<Record<string, string>>): DecodedHistoryBucket {
  const bucket: DecodedHistoryBucket = { slow: [], slowOther: 0, exceptions: [], exceptionsOther: 0 };
  for (const [field, value] of Object.entries(hash)) {
    if (field.startsWith(SLOW_FIELD_PREFIX)) {
      const rest = field.slice(SLOW_FIELD_PREFIX.length);
      const colon = rest.indexOf(':');
      const kind = rest.slice(0, colon);
      const triple = decodeTriple(value);
      if (colon <= 0 || !triple) continue;
      // A kind this version does not list reads as `other`, as a slow entry's does.
      const known = isKnownSlowKind(kind) ? kind : 'other';
      bucket.slow.push({ kind: known, name: rest.slice(colon + 1), count: triple[0], sum_ms: triple[1], max_ms: triple[2] });
    } else if (field.startsWith(EXCEPTION_FIELD_PREFIX)) {
      const group = decodeExceptionGroup(field.slice(EXCEPTION_FIELD_PREFIX.length), value);
      if (group) bucket.exceptions.push(group);
    } else if (field === SLOW_OTHER_FIELD || field === EXCEPTION_OTHER_FIELD) {
      const count = Number(value);
      if (!isCount(count)) continue;
      if (field === SLOW_OTHER_FIELD) bucket.slowOther = count;
      else bucket.exceptionsOther = count;
    } else if (field === HEALTH_FIELD) {
      bucket.health = decodeHealth(value);
    }
  }
  return bucket;
}

/** Reads one servers-hash value; a figure not measured is absent. */
export function decodeServerFigures(text: string): StoredServerFigures | undefined {
  const v = parseJson(text) as Record<string, unknown> | undefined;
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const figures: StoredServerFigures = {};
  for (const name of ['cpu', 'mem', 'loop'] as const) {
    const stat = v[name];
    if (Array.isArray(stat) && stat.length === 3 && stat.every(isCount) && (stat[1] as number) > 0) figures[name] = stat as GaugeStat;
  }
  return figures;
}
