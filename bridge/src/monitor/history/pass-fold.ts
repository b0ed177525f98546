import {
  decodeExceptionGroup,
  decodeTriple,
  EXCEPTION_GROUPS_FIELD,
  EXCEPTION_OTHER_FIELD,
  exceptionField,
  SLOW_GROUPS_FIELD,
  SLOW_OTHER_FIELD,
  slowField,
} from '@gravito/pulse-protocol';
import { type BucketDelta, MAX_EXCEPTION_SERVERS } from './bucket-deltas.js';

/** Most distinct groups a bucket names, of each kind; past them a pass's additions count as `other`. */
export interface GroupCaps {
  slowGroups: number;
  exceptionGroups: number;
}

/** What a pass writes to one bucket, folded in the bridge: the apply script or transaction writes it as it is. */
export interface BucketWrites {
  /**
   * Field, value, field, value…: every field the pass changes, counters included, at its new value (HSET). Written
   * whole rather than added to (HINCRBY): a counter someone left unreadable is replaced, where an HINCRBY would fail
   * midway through the writes, which neither a script nor a transaction takes back.
   */
  set: string[];
  foldedSlow: number;
  foldedExceptions: number;
}

/** The counters a pass reads first, in this order. */
const COUNTERS = [SLOW_GROUPS_FIELD, EXCEPTION_GROUPS_FIELD, SLOW_OTHER_FIELD, EXCEPTION_OTHER_FIELD] as const;

/** A counter field as stored: 0 when absent (or unreadable). */
function storedCount(value: string | null | undefined): number {
  const count = Number(value ?? 0);
  return Number.isFinite(count) ? count : 0;
}

/** The fields of `bucket` a pass reads before folding into it (`foldBucket`): the counters, then each group's. */
export function fieldsToRead(bucket: BucketDelta): string[] {
  const fields: string[] = [...COUNTERS];
  for (const [kind, name] of bucket.slow.values()) fields.push(slowField(kind, name));
  for (const fingerprint of bucket.exceptions.keys()) fields.push(exceptionField(fingerprint));
  return fields;
}

/**
 * A pass's additions to one bucket, given its fields as read (`read`, in `fieldsToRead`'s order, null where absent):
 * a group already named is added to; a new one is named while the bucket names fewer than its cap, and past it
 * counts in `other` (folded). An exception keeps the latest type and message, and the first servers seen, up to
 * `MAX_EXCEPTION_SERVERS`. A value no reader can decode is replaced by the pass's (it read as nothing). Written
 * only if the cursor has not moved since the fields were read (apply-script.ts, watched-apply.ts): nothing else
 * changes the counts.
 */
export function foldBucket(bucket: BucketDelta, read: readonly (string | null)[], caps: GroupCaps): BucketWrites {
  const writes: BucketWrites = { set: [], foldedSlow: 0, foldedExceptions: 0 };
  let slowGroups = storedCount(read[0]);
  let exceptionGroups = storedCount(read[1]);
  let slowOther = 0;
  let exceptionOther = 0;
  let at = COUNTERS.length;
  for (const [kind, name, count, sumMs, maxMs] of bucket.slow.values()) {
    const old = read[at++] ?? null;
    if (old === null && slowGroups >= caps.slowGroups) {
      slowOther += count;
      continue;
    }
    if (old === null) slowGroups++;
    const known = old === null ? undefined : decodeTriple(old);
    const value = known ? [known[0] + count, known[1] + sumMs, Math.max(known[2], maxMs)] : [count, sumMs, maxMs];
    writes.set.push(slowField(kind, name), JSON.stringify(value));
  }
  for (const [fingerprint, count, type, message, lastSeen, servers] of bucket.exceptions.values()) {
    const old = read[at++] ?? null;
    if (old === null && exceptionGroups >= caps.exceptionGroups) {
      exceptionOther += count;
      continue;
    }
    if (old === null) exceptionGroups++;
    const known = old === null ? undefined : decodeExceptionGroup(fingerprint, old);
    const value = known
      ? {
          count: known.count + count,
          ...(lastSeen >= known.last_seen
            ? { type, message, last_seen: lastSeen }
            : { type: known.type, message: known.message, last_seen: known.last_seen }),
          servers: [...known.servers],
        }
      : { count, type, message, last_seen: lastSeen, servers: [] as string[] };
    for (const server of servers)
      if (value.servers.length < MAX_EXCEPTION_SERVERS && !value.servers.includes(server)) value.servers.push(server);
    writes.set.push(exceptionField(fingerprint), JSON.stringify(value));
  }
  const counters = [slowGroups, exceptionGroups, storedCount(read[2]) + slowOther, storedCount(read[3]) + exceptionOther];
  COUNTERS.forEach((field, i) => {
    const value = String(counters[i]);
    if (value !== (read[i] ?? '0')) writes.set.push(field, value);
  });
  writes.foldedSlow = slowOther;
  writes.foldedExceptions = exceptionOther;
  return writes;
}
