import { type HistoryPeriod, historyBucketStart, historyPeriodSpan } from '@gravito/pulse-protocol';
import { type AppFigures, emptyFigures, mergeFigures } from './gauge-figures.js';

/** One bucket's figures for one app, ready to be written whole (HSET: writing it again is harmless). */
export interface FiguresWrite {
  app: string;
  period: HistoryPeriod;
  start: number;
  figures: AppFigures;
  /** The bucket began before this bridge started: what another bridge (or this one, before) wrote is added first. */
  seed: boolean;
}

export interface OpenBucket {
  start: number;
  apps: Map<string, AppFigures>;
  seeded: Set<string>;
}

/**
 * The server, queue and health figures of the smallest period's current bucket, sampled at every poll (one
 * update per server), and of the longer periods' open buckets, into which each smallest bucket is folded when it
 * closes. So a poll costs one update per server whatever the number of periods, and the longer periods are
 * written once per smallest bucket (a 7 d bucket's figures lag by at most one minute).
 */
export class GaugeBuckets {
  private current: OpenBucket | undefined;
  private readonly longer = new Map<HistoryPeriod, Map<number, OpenBucket>>();
  private readonly spans: { period: HistoryPeriod; bucketMs: number }[];

  constructor(
    periods: readonly HistoryPeriod[],
    timeScale: number,
    private readonly startedAt: number,
  ) {
    this.spans = periods.map((period) => ({ period, bucketMs: historyPeriodSpan(period, timeScale).bucketMs }));
  }

  /** The figures of `app` in the current smallest bucket at `now`; the bucket before it, if it just closed, goes to `closed`. */
  figuresAt(now: number, app: string, closed: OpenBucket[]): AppFigures {
    const smallest = this.spans[0] as { period: HistoryPeriod; bucketMs: number };
    const start = historyBucketStart(now, smallest.bucketMs);
    if (this.current && this.current.start !== start) closed.push(this.current);
    if (!this.current || this.current.start !== start) this.current = { start, apps: new Map(), seeded: new Set() };
    let figures = this.current.apps.get(app);
    if (!figures) {
      figures = emptyFigures();
      this.current.apps.set(app, figures);
    }
    return figures;
  }

  /**
   * The current smallest bucket's writes, not folded into the longer periods: what a stopping bridge leaves for the
   * bridge that takes over within the same bucket (which adds it to its own before writing, then folds the whole).
   */
  currentWrites(): FiguresWrite[] {
    const smallest = this.spans[0];
    const bucket = this.current;
    if (!smallest || !bucket) return [];
    const seed = bucket.start < this.startedAt;
    return [...bucket.apps].map(([app, figures]) => ({ app, period: smallest.period, start: bucket.start, figures, seed }));
  }

  /**
   * Folds a closed smallest bucket into the longer periods' open buckets; returns the writes of the closed bucket
   * and of each longer bucket it folded into. Called off the poll (it walks every server four times).
   */
  close(bucket: OpenBucket): FiguresWrite[] {
    const [smallest, ...rest] = this.spans as [
      { period: HistoryPeriod; bucketMs: number },
      ...{ period: HistoryPeriod; bucketMs: number }[],
    ];
    const writes: FiguresWrite[] = [];
    const seed = bucket.start < this.startedAt;
    for (const [app, figures] of bucket.apps) writes.push({ app, period: smallest.period, start: bucket.start, figures, seed });
    for (const span of rest) {
      const start = historyBucketStart(bucket.start, span.bucketMs);
      let open = this.longer.get(span.period);
      if (!open) {
        open = new Map();
        this.longer.set(span.period, open);
      }
      // Buckets of this period that ended before this one are complete and written: forgotten.
      for (const known of open.keys()) if (known < start) open.delete(known);
      let longer = open.get(start);
      if (!longer) {
        longer = { start, apps: new Map(), seeded: new Set() };
        open.set(start, longer);
      }
      for (const [app, figures] of bucket.apps) {
        let into = longer.apps.get(app);
        if (!into) {
          into = emptyFigures();
          longer.apps.set(app, into);
        }
        mergeFigures(into, figures);
        // Seeded once, on its first write by this bridge, if it began before this bridge did.
        const needsSeed = start < this.startedAt && !longer.seeded.has(app);
        longer.seeded.add(app);
        writes.push({ app, period: span.period, start, figures: into, seed: needsSeed });
      }
    }
    return writes;
  }
}
