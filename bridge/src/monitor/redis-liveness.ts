import type { Cluster, Redis } from 'ioredis';
import { isTimeout } from '../redis/command-refusal.js';

/** A command timeout that fired this much later than due means the event loop was held, not that Redis was slow. */
const LATE_TIMER_MS = 50;
/** PINGs asked again after a late timeout before Redis is judged silent. */
const RETRIES = 2;

/**
 * Whether Redis answers, judged from a PING timed on its own, never from how long a poll took: a poll can be slow
 * because this process is busy (a large fan-out, a GC, a starved CPU), which says nothing about Redis.
 *
 * The client's command timeout still bounds the PING. When that timeout fires late, the event loop was held past
 * it, and Redis's reply may be sitting unread in the socket: the PING is asked again rather than Redis judged
 * down. Only a timeout that fires on time (the loop was free and no reply came), or an error, says Redis is away.
 */
export class RedisLiveness {
  /** Round trip of the last PING answered, in ms. */
  lastRoundTripMs: number | undefined;

  constructor(
    private readonly client: () => Redis | Cluster,
    private readonly timeoutMs: number,
  ) {}

  /** A PING sent for another purpose (the invalidation feeds' barrier), timed on its own: its round trip, in ms. */
  answered(roundTripMs: number): void {
    this.lastRoundTripMs = roundTripMs;
  }

  /** Resolves with the round trip in ms, or rejects with why Redis did not answer. */
  async ping(): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      try {
        await this.client().ping();
        this.lastRoundTripMs = performance.now() - started;
        return this.lastRoundTripMs;
      } catch (err) {
        const late = performance.now() - started - this.timeoutMs;
        if (isTimeout(err) && late > LATE_TIMER_MS && attempt < RETRIES) continue;
        throw err;
      }
    }
  }
}
