import type { PulseErrorEvent, PulseSlowEvent } from '@gravito/pulse-protocol';
import type { InvalidValues } from '../lib/invalid-values.js';
import { LeftOutTally } from '../lib/left-out-tally.js';
import type { RedisHandle } from '../redis/connection.js';
import { mapLimited } from '../redis/read.js';
import type { Caps } from './caps.js';
import type { Clock } from './clock.js';
import { type FeedRead, NOTHING_READ } from './feed-read.js';
import type { InvalidFeeds } from './invalid-feeds.js';
import { ErrorTailer, SlowTailer } from './tailers.js';

/** Apps whose slow and error reads are in flight at once (each read is one page of at most a few MB). */
const TAIL_CONCURRENCY = 64;

export interface AppFeedsOptions {
  /** Most apps whose slow stream and exceptions are followed. */
  maxApps: number;
  /** The bridge's start: an app's first read delivers the entries written since, and only seeds its rate with older ones. */
  startedAt: number;
}

/**
 * Every followed app's slow stream and exception set: a tailer each, read when Redis said it changed (or at every
 * poll without tracking), and what an app's summary takes from them (rates, unreadable feeds).
 */
export class AppFeeds {
  /** Slow entries dropped as a writer's repeat of one already read (protocol: `slowEntryIdentity`). */
  slowRepeats = 0;
  /** Apps past `maxApps`, counted once rather than at every poll. */
  private readonly appsLeftOut = new LeftOutTally();
  private readonly slowTailers = new Map<string, SlowTailer>();
  private readonly errorTailers = new Map<string, ErrorTailer>();

  constructor(
    private readonly redis: RedisHandle,
    private readonly feeds: InvalidFeeds,
    private readonly invalid: InvalidValues,
    private readonly clock: Clock,
    private readonly caps: Caps,
    private readonly options: AppFeedsOptions,
  ) {}

  /**
   * Each followed app's slow and error reads of this poll, not yet taken. With `changed` (the feed keys Redis said
   * changed since the last poll), a feed is read only if it changed, was never read, or is unreadable (its key
   * holds another type: read every poll, to see it fixed); skipping an unchanged feed's read leaves its cursor
   * where it is, as a read that found nothing new would.
   */
  async read(
    apps: readonly string[],
    changed: ReadonlySet<string> | undefined,
  ): Promise<{ slow: FeedRead<PulseSlowEvent>; errors: FeedRead<PulseErrorEvent> }[]> {
    const maxApps = this.options.maxApps;
    const followed = apps.slice(0, maxApps);
    this.appsLeftOut.add('apps', apps.length - followed.length);
    this.caps.reached('apps', this.appsLeftOut.settle(), { maxApps, apps: apps.length });
    for (const app of followed) {
      if (!this.slowTailers.has(app)) this.slowTailers.set(app, new SlowTailer(app, this.options.startedAt, () => this.slowRepeats++));
      if (!this.errorTailers.has(app)) this.errorTailers.set(app, new ErrorTailer(app, this.options.startedAt));
    }
    const wanted = new Set(followed);
    for (const app of this.slowTailers.keys()) if (!wanted.has(app)) this.slowTailers.delete(app);
    for (const app of this.errorTailers.keys()) if (!wanted.has(app)) this.errorTailers.delete(app);
    this.feeds.retain(wanted);
    // Each app's reads on their own: a key of the wrong type takes out that app's feed only (InvalidFeeds).
    const due = (app: string, feed: 'slow' | 'errors', tailer: SlowTailer | ErrorTailer) =>
      changed === undefined || changed.has(tailer.key) || !tailer.following || this.feeds.of(app)?.includes(feed) === true;
    const read = async ({ app, slowDue, errorsDue }: { app: string; slowDue: boolean; errorsDue: boolean }) => {
      const slowTailer = this.slowTailers.get(app) as SlowTailer;
      const errorTailer = this.errorTailers.get(app) as ErrorTailer;
      const [slow, errors] = await Promise.all([
        slowDue ? this.feeds.read(app, 'slow', slowTailer.key, () => slowTailer.read(this.redis, this.invalid, this.clock)) : NOTHING_READ,
        errorsDue
          ? this.feeds.read(app, 'errors', errorTailer.key, () => errorTailer.read(this.redis, this.invalid, this.clock, this.caps))
          : NOTHING_READ,
      ]);
      return { slow, errors };
    };
    // Only the apps with a feed to read: a poll in which nothing changed starts no read at all.
    const reads: { app: string; slowDue: boolean; errorsDue: boolean }[] = [];
    for (const app of followed) {
      const slowDue = due(app, 'slow', this.slowTailers.get(app) as SlowTailer);
      const errorsDue = due(app, 'errors', this.errorTailers.get(app) as ErrorTailer);
      if (slowDue || errorsDue) reads.push({ app, slowDue, errorsDue });
    }
    return mapLimited(reads, TAIL_CONCURRENCY, read);
  }

  /** What an app's summary takes from its feeds at `now`: its rates and its unreadable feeds. */
  summary(app: string, now: number) {
    const slowPerMinute = this.slowTailers.get(app)?.rate.perMinute(now) ?? 0;
    const errorsPerMinute = this.errorTailers.get(app)?.rate.perMinute(now) ?? 0;
    const invalidFeeds = this.feeds.of(app);
    return { slowPerMinute, errorsPerMinute, invalidFeeds, text: `${slowPerMinute} ${errorsPerMinute} ${invalidFeeds ?? ''}` };
  }

  /** Until when an app's rates read the same unless its feeds are read. */
  steadyUntil(app: string): number {
    const slow = this.slowTailers.get(app)?.rate.steadyUntil() ?? Number.POSITIVE_INFINITY;
    return Math.min(slow, this.errorTailers.get(app)?.rate.steadyUntil() ?? Number.POSITIVE_INFINITY);
  }
}
