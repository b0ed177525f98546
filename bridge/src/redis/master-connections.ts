import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';
import { nodeAddress } from './node-address.js';

/** A key's master: its address (`host:port`) and the connection of one's own to it. */
export interface KeyMaster<T> {
  address: string;
  connection: T;
}

/**
 * Connections of one's own, one per master of a cluster, each opened at its first use with the node's options (the
 * client's user, password and TLS), and closed once its node is no longer a master (a failover, a node removed).
 * A key goes to the master of its slot as the cluster client last mapped the slots: a slot that moved since
 * answers `MOVED` or `ASK` there.
 */
export class MasterConnections<T> {
  private readonly opened = new Map<string, T>();

  constructor(
    private readonly cluster: Cluster,
    private readonly open: (node: Redis) => T,
    private readonly close: (connection: T) => void,
  ) {}

  /**
   * The masters as the cluster client knows them now (the connections of former ones closed), as a lookup from a
   * key to its master: undefined when the slot map does not say yet.
   */
  lookup(): (key: string) => KeyMaster<T> | undefined {
    const masters = new Map(this.cluster.nodes('master').map((node) => [nodeAddress(node), node]));
    for (const [address, connection] of this.opened)
      if (!masters.has(address)) {
        this.close(connection);
        this.opened.delete(address);
      }
    return (key) => {
      const address = this.cluster.slots[calculateSlot(key)]?.[0];
      const node = address === undefined ? undefined : masters.get(address);
      if (address === undefined || node === undefined) return undefined;
      let connection = this.opened.get(address);
      if (connection === undefined) {
        connection = this.open(node);
        this.opened.set(address, connection);
      }
      return { address, connection };
    };
  }

  /** The connections opened so far, to masters as last looked up. */
  all(): Iterable<T> {
    return this.opened.values();
  }

  /** Closes every connection. */
  closeAll(): void {
    for (const connection of this.opened.values()) this.close(connection);
    this.opened.clear();
  }
}
