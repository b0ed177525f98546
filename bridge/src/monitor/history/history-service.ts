import type { HistoryPeriod, PulseSlowEvent } from '@gravito/pulse-protocol';
import type { Logger } from 'pino';
import { yieldToLoop } from '../../lib/loop-slice.js';
import type { RedisHandle } from '../../redis/connection.js';
import type { QuasarReader } from '../../sources/quasar/reader.js';
import type { Snapshot } from '../monitor-service.js';
import { EntryCounter } from './entry-counter.js';
import { FiguresStore } from './figures-store.js';
import { GaugeBuckets, type OpenBucket } from './gauge-buckets.js';
import { GaugeSampler } from './gauge-sampler.js';
import { HistoryCounts } from './history-counts.js';
import { type HistoryOptions, keptPeriods } from './history-options.js';
import { ParsedSlowEntries } from './parsed-slow-entries.js';

/** Apps counted at once in a pass (each is a few reads and one script). */
const COUNT_CONCURRENCY = 16;

/**
 * History's writer. At each poll's snapshot it starts sampling the server, queue and health figures into the
 * current bucket (in memory, in slices after the poll: gauge-sampler.ts), then writes the buckets that closed, and
 * starts a pass that counts the slow entries and exceptions written since the app's cursor. Sampling, writes and
 * passes run after the poll, never inside it, and never two at once: a poll that finds the last pass still running
 * skips its own.
 */
export class HistoryService {
  readonly counts = new HistoryCounts();
  /** The live feed's parsed slow entries of this poll (`slow()`), reused by the counting pass. */
  private readonly parsed = new ParsedSlowEntries();
  readonly periods: readonly HistoryPeriod[];
  private readonly counter: EntryCounter;
  private readonly gauges: GaugeBuckets;
  private readonly sampler: GaugeSampler;
  private readonly store: FiguresStore;
  private sampling: Promise<void> | undefined;
  private pass: Promise<void> | undefined;
  private writing: Promise<void> | undefined;
  /** Smallest buckets closed and not yet folded and written (at most one per poll; a write in progress holds them). */
  private pending: OpenBucket[] = [];

  constructor(
    redis: RedisHandle,
    readonly options: HistoryOptions,
    log: Logger,
    quasar?: QuasarReader,
  ) {
    this.periods = keptPeriods(options.retention);
    this.counter = new EntryCounter(redis, options, this.periods, this.counts, log, this.parsed);
    this.gauges = new GaugeBuckets(this.periods, options.timeScale, Date.now());
    this.sampler = new GaugeSampler(this.gauges, options.maxServers, this.counts, log, quasar);
    this.store = new FiguresStore(redis, options.timeScale);
  }

  /** One poll's snapshot (a failed poll's, marked `poll_ok: false`, is skipped: its figures are not this moment's). */
  snapshot(snapshot: Snapshot): void {
    if (this.periods.length === 0 || snapshot.event.poll_ok === false) return;
    const now = snapshot.event.timestamp;
    this.parsed.clear();
    // Never rejects: the walk only updates figures in memory, and a failed write is counted by flush.
    this.sampling = this.sampler.sample(snapshot, now).then((done) => {
      if (done) this.flush(now);
    });
    if (!this.pass) {
      const apps = snapshot.event.apps.slice(0, this.options.maxApps).map((a) => a.app);
      this.pass = this.countEntries(apps, now).finally(() => {
        this.pass = undefined;
      });
    }
  }

  /** The poll's new slow entries, as the live feed parsed them (emitted right after its snapshot). */
  slow(events: readonly PulseSlowEvent[]): void {
    if (this.periods.length > 0) this.parsed.add(events);
  }

  /** Settles once the running sampling, pass and writes are done. */
  async settled(): Promise<void> {
    // Sampling first: its end may start a write.
    await this.sampling;
    await Promise.all([this.pass, this.writing]);
  }

  /**
   * Once the monitor has stopped: lets the running pass and writes end, then writes the current minute's figures as
   * they are, so that a restart within the minute loses none of its samples. Never throws.
   */
  async stop(): Promise<void> {
    await this.settled();
    this.counter.close();
    if (this.periods.length === 0) return;
    const retention = this.periods[this.periods.length - 1] as HistoryPeriod;
    await this.store.write(this.gauges.currentWrites(), Date.now(), retention).catch(() => this.counts.add('writes_failed'));
  }

  private flush(now: number): void {
    this.pending.push(...this.sampler.takeClosed());
    if (this.writing || this.pending.length === 0) return;
    const closed = this.pending;
    this.pending = [];
    const retention = this.periods[this.periods.length - 1] as HistoryPeriod;
    this.writing = yieldToLoop()
      .then(() =>
        this.store.write(
          closed.flatMap((bucket) => this.gauges.close(bucket)),
          now,
          retention,
        ),
      )
      .catch(() => this.counts.add('writes_failed'))
      .finally(() => {
        this.writing = undefined;
      });
  }

  private async countEntries(apps: readonly string[], now: number): Promise<void> {
    this.counter.retain(new Set(apps));
    await this.counter.countApps(apps, now, COUNT_CONCURRENCY);
  }
}
