import type { Logger } from 'pino';

/**
 * How far ahead of the bridge's clock a writer's timestamp may be before it counts as "from the future": hosts
 * a few seconds apart are normal, and are clamped without a word.
 */
export const FUTURE_TOLERANCE_MS = 10_000;
/** Distinct (kind, app) pairs logged; counting goes on past it. */
const MAX_LOGGED = 1_000;

export type TimestampKind = 'heartbeat' | 'slow' | 'error';

/**
 * The bridge's clock, and its one rule for writers' timestamps: **no time is later than the bridge's now**.
 * A timestamp ahead of it is clamped to the moment the bridge read it (so a heartbeat stamped 10 years ahead is
 * lost one lost-after later, like any other, and an exception scored 2 minutes ahead counts now); one more than
 * `FUTURE_TOLERANCE_MS` ahead is also counted (`pulse_bridge_future_timestamps_total{kind}`) and logged once per
 * kind and app. Read cursors never pass `now` either, so one skewed writer cannot hide what others write later.
 */
export class Clock {
  /** The current tick's time, epoch ms; set once per tick so that one tick judges everything by one time. */
  now = Date.now();
  readonly future: Record<TimestampKind, number> = { heartbeat: 0, slow: 0, error: 0 };
  private readonly logged = new Set<string>();

  constructor(private readonly log: Logger) {}

  /** A writer's timestamp on the bridge's clock: at most `now`; counted when further ahead than the tolerance. */
  clamp(kind: TimestampKind, app: string, timestamp: number): number {
    if (timestamp <= this.now) return timestamp;
    if (timestamp - this.now > FUTURE_TOLERANCE_MS) {
      this.future[kind]++;
      const id = `${kind}\u0000${app}`;
      if (!this.logged.has(id) && this.logged.size < MAX_LOGGED) {
        this.logged.add(id);
        this.log.warn(
          { kind, app, aheadMs: timestamp - this.now },
          'timestamp from the future clamped to the bridge clock (logged once per app)',
        );
      }
    }
    return this.now;
  }

  /** The entry with its `timestamp` clamped (the same object when it needs no change). */
  clampEntry<T extends { timestamp: number }>(kind: TimestampKind, app: string, entry: T): T {
    const timestamp = this.clamp(kind, app, entry.timestamp);
    return timestamp === entry.timestamp ? entry : { ...entry, timestamp };
  }
}
