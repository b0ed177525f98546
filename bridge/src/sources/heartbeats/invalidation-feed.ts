import type { Redis } from 'ioredis';
import { isDecline } from '../../redis/command-refusal.js';

/** The channel Redis publishes tracking invalidations on (RESP2: to the connection named by `REDIRECT`). */
const INVALIDATE_CHANNEL = '__redis__:invalidate';

/** What the feed saw since it was last taken. */
export interface Invalidations {
  /** Keys written, deleted, expired or evicted. */
  keys: Set<string>;
  /**
   * Why the keys do not tell everything (a read of every key is due), or undefined: Redis flushed the database
   * (an invalidation without keys), or more keys changed than the feed keeps.
   */
  resync: 'flush' | 'overflow' | undefined;
}

/**
 * The server declined tracking (`isDecline`): an error reply to any of the feed's commands, whatever its words
 * (`NOPERM` from an ACL without CLIENT, Redis < 6's `ERR unknown subcommand`, Dragonfly's `ERR Client tracking is
 * currently not supported for RESP2`), or a proxy with which it is not in effect. Asked again at once, it would be
 * declined alike.
 */
export class TrackingRefused extends Error {}

/**
 * Whether `CLIENT TRACKINGINFO` says tracking is on, in broadcast mode, redirected to `id`: a proxy that passes
 * commands to pooled connections may have turned it on elsewhere, and its invalidations would never come.
 * Redis 6.0 and 6.1 have no TRACKINGINFO: trusted there.
 */
async function trackingInEffect(connection: Redis, id: number): Promise<boolean> {
  let info: unknown[];
  try {
    info = (await connection.call('CLIENT', 'TRACKINGINFO')) as unknown[];
  } catch (err) {
    if (/^ERR unknown subcommand/i.test((err as Error)?.message ?? '')) return true;
    throw err;
  }
  const field = (name: string) => info[info.indexOf(name) + 1];
  const flags = field('flags');
  return Array.isArray(flags) && flags.includes('on') && flags.includes('bcast') && Number(field('redirect')) === id;
}

/**
 * One connection that asks Redis for every change to keys under `prefixes` (client-side tracking in broadcast
 * mode, `CLIENT TRACKING on REDIRECT <itself> BCAST PREFIX …`) and collects the changed keys: writes, deletes,
 * expiries and evictions all send one. It never reconnects: tracking lives and dies with its connection, so once
 * it closes (killed, Redis restarted) the feed is `broken` and its owner starts a new one with a read of every key.
 */
export class InvalidationFeed {
  private pending = new Set<string>();
  private resync: Invalidations['resync'];
  private closed = false;

  private constructor(
    private readonly connection: Redis,
    private readonly maxKeys: number,
  ) {
    connection.on('close', () => {
      this.closed = true;
    });
    connection.on('messageBuffer', (_channel: Buffer, message: Buffer[] | Buffer | null) => this.onMessage(message));
  }

  /**
   * Opens the connection (a duplicate of `like`: same address, credentials and timeouts) and starts tracking.
   * Rejects with `TrackingRefused` when Redis refuses it, with the connection's error otherwise.
   */
  static async open(like: Redis, prefixes: readonly string[], maxKeys: number): Promise<InvalidationFeed> {
    const connection = like.duplicate({
      connectionName: 'pulse-bridge-track',
      lazyConnect: true,
      retryStrategy: () => null,
      autoResubscribe: false,
    });
    connection.on('error', () => {}); // a closed feed is noticed by `broken`, and said by the poll
    const feed = new InvalidationFeed(connection, maxKeys);
    try {
      await connection.connect();
      const id = (await connection.call('CLIENT', 'ID')) as number;
      await connection.call('CLIENT', 'TRACKING', 'on', 'REDIRECT', String(id), 'BCAST', ...prefixes.flatMap((p) => ['PREFIX', p]));
      if (!(await trackingInEffect(connection, id)))
        throw new TrackingRefused('CLIENT TRACKING answered OK but is not in effect on this connection (a proxy?)');
      await connection.subscribe(INVALIDATE_CHANNEL);
    } catch (err) {
      feed.close();
      throw isDecline(err) ? new TrackingRefused((err as Error).message) : err;
    }
    return feed;
  }

  /** The connection closed: invalidations since then are lost. */
  get broken(): boolean {
    return this.closed;
  }

  /**
   * Waits until every invalidation Redis sent before now has arrived: a PING on the same connection is answered
   * after them. Resolves with the PING's round trip in ms; rejects when the connection is gone (then what was
   * collected is not the whole story).
   */
  async barrier(): Promise<number> {
    if (this.closed) throw new Error('invalidation feed closed');
    const started = performance.now();
    await this.connection.ping();
    if (this.closed) throw new Error('invalidation feed closed');
    return performance.now() - started;
  }

  /** The invalidations collected so far; the feed starts collecting anew. */
  take(): Invalidations {
    const taken = { keys: this.pending, resync: this.resync };
    this.pending = new Set();
    this.resync = undefined;
    return taken;
  }

  /** Puts back what a failed read took, so that the next read fetches those keys again. */
  giveBack(taken: Invalidations): void {
    for (const key of taken.keys) this.add(key);
    this.resync ??= taken.resync;
  }

  close(): void {
    this.closed = true;
    this.connection.disconnect();
  }

  private onMessage(message: Buffer[] | Buffer | null): void {
    // A flush (FLUSHDB, FLUSHALL) invalidates everything at once, with no keys.
    if (message === null) {
      this.resync ??= 'flush';
      this.pending.clear();
      return;
    }
    if (Array.isArray(message)) for (const key of message) this.add(key.toString());
    else this.add(message.toString());
  }

  private add(key: string): void {
    if (this.resync !== undefined) return;
    if (this.pending.size >= this.maxKeys) {
      // More changes than a read of every key costs: that read instead, and nothing more is kept meanwhile.
      this.resync = 'overflow';
      this.pending.clear();
      return;
    }
    this.pending.add(key);
  }
}
