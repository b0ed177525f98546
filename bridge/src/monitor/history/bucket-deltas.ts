import {
  type ErrorEntry,
  type HistoryPeriod,
  historyBucketExpiry,
  historyBucketKey,
  historyBucketStart,
  historyPeriodSpan,
  type SlowEntry,
} from '@gravito/pulse-protocol';

/** Most server ids kept per exception group and bucket (the first seen). */
export const MAX_EXCEPTION_SERVERS = 16;

/** One slow group's additions: `[kind, name, count, sum_ms, max_ms]`, as the apply script reads it. */
export type SlowDelta = [kind: string, name: string, count: number, sumMs: number, maxMs: number];
/** One exception group's additions: `[fingerprint, count, type, message, last_seen, servers]`. */
export type ExceptionDelta = [fingerprint: string, count: number, type: string, message: string, lastSeen: number, servers: string[]];

/** A kept period, its window and its bucket length. */
type Span = { period: HistoryPeriod; periodMs: number; bucketMs: number };

/** What one counting pass adds to one bucket key. */
export interface BucketDelta {
  key: string;
  /** PEXPIREAT: the bucket leaves its period. */
  expireAt: number;
  slow: Map<string, SlowDelta>;
  exceptions: Map<string, ExceptionDelta>;
}

/**
 * Adds up a pass's slow entries and exceptions per bucket of every kept period, in memory, so that the script
 * that applies them gets one addition per group and bucket rather than one per entry. An entry older than a
 * period's window is not added to that period (its bucket has expired, or is about to).
 */
export class BucketDeltas {
  private readonly buckets = new Map<string, BucketDelta>();
  private readonly spans: Span[];
  /**
   * Per span, the bucket the last entry fell in (undefined: expired), and its start: a pass's entries are a few
   * seconds of one stream, nearly all in the same bucket of each period, whose key is then built once, not per entry.
   */
  private readonly lastStarts: number[];
  private readonly lastBuckets: (BucketDelta | undefined)[];
  /** The buckets of the entry being added (reused: no array per entry). */
  private readonly current: BucketDelta[] = [];

  constructor(
    private readonly app: string,
    periods: readonly HistoryPeriod[],
    timeScale: number,
    private readonly now: number,
  ) {
    this.spans = periods.map((period) => ({ period, ...historyPeriodSpan(period, timeScale) }));
    this.lastStarts = this.spans.map(() => Number.NaN);
    this.lastBuckets = this.spans.map(() => undefined);
  }

  values(): IterableIterator<BucketDelta> {
    return this.buckets.values();
  }

  addSlow(entry: SlowEntry, at: number): void {
    const id = `${entry.kind}:${entry.name}`;
    for (const bucket of this.bucketsOf(at)) {
      const delta = bucket.slow.get(id);
      if (!delta) bucket.slow.set(id, [entry.kind, entry.name, 1, entry.duration_ms, entry.duration_ms]);
      else {
        delta[2]++;
        delta[3] += entry.duration_ms;
        if (entry.duration_ms > delta[4]) delta[4] = entry.duration_ms;
      }
    }
  }

  addException(entry: ErrorEntry, at: number): void {
    for (const bucket of this.bucketsOf(at)) {
      const delta = bucket.exceptions.get(entry.fingerprint);
      if (!delta) {
        bucket.exceptions.set(entry.fingerprint, [entry.fingerprint, 1, entry.type, entry.message, at, [entry.server_id]]);
        continue;
      }
      delta[1]++;
      if (at >= delta[4]) {
        delta[2] = entry.type;
        delta[3] = entry.message;
        delta[4] = at;
      }
      const servers = delta[5];
      if (servers.length < MAX_EXCEPTION_SERVERS && !servers.includes(entry.server_id)) servers.push(entry.server_id);
    }
  }

  /** The buckets `at` falls in, one per period whose window still holds it (valid until the next call). */
  private bucketsOf(at: number): readonly BucketDelta[] {
    const current = this.current;
    current.length = 0;
    for (let i = 0; i < this.spans.length; i++) {
      const span = this.spans[i] as Span;
      const start = historyBucketStart(at, span.bucketMs);
      if (start !== this.lastStarts[i]) {
        this.lastStarts[i] = start;
        this.lastBuckets[i] = this.bucketAt(span, start);
      }
      const bucket = this.lastBuckets[i];
      if (bucket) current.push(bucket);
    }
    return current;
  }

  private bucketAt(span: Span, start: number): BucketDelta | undefined {
    const expireAt = historyBucketExpiry(start, span);
    if (expireAt <= this.now) return undefined;
    const key = historyBucketKey(this.app, span.period, start);
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { key, expireAt, slow: new Map(), exceptions: new Map() };
      this.buckets.set(key, bucket);
    }
    return bucket;
  }
}
