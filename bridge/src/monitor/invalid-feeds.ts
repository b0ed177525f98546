import type { InvalidValues } from '../lib/invalid-values.js';
import { isWrongType } from '../redis/read.js';
import { type FeedRead, NOTHING_READ } from './feed-read.js';

export type Feed = 'slow' | 'errors';

/**
 * Apps whose slow stream or exception set cannot be read because its key holds another type (a `LPUSH
 * pulse:errors:{app} x`, a plain string at `pulse:slow:{app}`). Such a key takes only its own feed out: the
 * app is flagged (`invalid_feeds` in `system_pulse`, `pulse_bridge_invalid_feeds`), counted and logged when it
 * turns bad, and read again at every poll, so it recovers at the first poll after the key is fixed. Every
 * other app, and every other error, goes on as before.
 */
export class InvalidFeeds {
  private readonly bad = new Map<string, Set<Feed>>();

  constructor(private readonly invalid: InvalidValues) {}

  /** Runs one feed's read: a WRONGTYPE marks that feed invalid and reads as nothing; other errors propagate. */
  async read<E>(app: string, feed: Feed, key: string, read: () => Promise<FeedRead<E>>): Promise<FeedRead<E>> {
    try {
      const out = await read();
      this.bad.get(app)?.delete(feed);
      if (this.bad.get(app)?.size === 0) this.bad.delete(app);
      return out;
    } catch (err) {
      if (!isWrongType(err)) throw err;
      let feeds = this.bad.get(app);
      if (!feeds) {
        feeds = new Set();
        this.bad.set(app, feeds);
      }
      if (!feeds.has(feed)) {
        feeds.add(feed);
        this.invalid.report(feed === 'slow' ? 'slow' : 'error', key, (err as Error).message);
      }
      return NOTHING_READ;
    }
  }

  /** The app's unreadable feeds, if any. */
  of(app: string): Feed[] | undefined {
    const feeds = this.bad.get(app);
    return feeds ? [...feeds].sort() : undefined;
  }

  /** Apps with `feed` unreadable now. */
  count(feed: Feed): number {
    let n = 0;
    for (const feeds of this.bad.values()) if (feeds.has(feed)) n++;
    return n;
  }

  /** Forgets apps that are no longer followed. */
  retain(apps: ReadonlySet<string>): void {
    for (const app of this.bad.keys()) if (!apps.has(app)) this.bad.delete(app);
  }
}
