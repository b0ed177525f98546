import type { Cluster, Redis } from 'ioredis';
import type { RedisHandle } from './connection.js';
import { MasterConnections } from './master-connections.js';

/**
 * A connection of its own for optimistic transactions (WATCH, reads, MULTI … EXEC), one at a time: a WATCH belongs
 * to its connection, and another transaction's EXEC or UNWATCH on it would clear this one's.
 */
export class TransactionLane {
  private closes = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly connection: Redis) {
    connection.on('close', () => {
      this.closes++;
    });
    // A failure shows as the transaction's commands failing; the connection reconnects on its own.
    connection.on('error', () => {});
  }

  /** Runs `transaction` once every one queued before it has settled. */
  exclusive<T>(transaction: (lane: TransactionLane) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      if (this.connection.status === 'wait') await this.connection.connect();
      return transaction(this);
    });
    this.queue = run.catch(() => {});
    return run;
  }

  /** A mark taken before WATCH, for `intact`. */
  mark(): number {
    return this.closes;
  }

  /**
   * Whether the connection stayed up since `mark`, so that its WATCH still holds: a reconnected one has none, and
   * an EXEC sent on it would apply unconditionally. Checked in the same turn as the EXEC is written.
   */
  intact(mark: number): boolean {
    return this.closes === mark && this.connection.status === 'ready';
  }
}

/**
 * The transaction lanes of a bridge: one beside a standalone client, or one per master of a cluster, each
 * transaction on the lane of the master that serves its keys (they must share a slot). Opened at first use, as
 * duplicates of the client's connections (same address, user and timeouts), named `name` in CLIENT LIST.
 */
export class TransactionLanes {
  /** Standalone: the one lane. */
  private single: TransactionLane | undefined;
  private readonly perMaster: MasterConnections<TransactionLane> | undefined;
  private closed = false;

  constructor(
    private readonly redis: RedisHandle,
    private readonly name: string,
  ) {
    if (redis.cluster)
      this.perMaster = new MasterConnections(
        redis.client as Cluster,
        (node) => this.opened(node),
        (lane) => lane.connection.disconnect(),
      );
  }

  /** Runs `transaction` alone on the lane of the master serving `key`. */
  async run<T>(key: string, transaction: (lane: TransactionLane) => Promise<T>): Promise<T> {
    return this.laneFor(key).exclusive(transaction);
  }

  /** Disconnects every lane (a transaction in flight fails). Idempotent. */
  close(): void {
    this.closed = true;
    this.single?.connection.disconnect();
    this.single = undefined;
    this.perMaster?.closeAll();
  }

  private laneFor(key: string): TransactionLane {
    if (this.closed) throw new Error('transaction connections closed');
    if (this.perMaster === undefined) {
      this.single ??= this.opened(this.redis.client as Redis);
      return this.single;
    }
    const master = this.perMaster.lookup()(key);
    if (master === undefined) throw new Error(`no redis master known for ${key} yet`);
    return master.connection;
  }

  private opened(like: Redis): TransactionLane {
    return new TransactionLane(like.duplicate({ connectionName: this.name, lazyConnect: true }));
  }
}
