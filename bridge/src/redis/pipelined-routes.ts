import type { Cluster } from 'ioredis';
import { nodeAddress } from './node-address.js';
import { PipelinedConnection } from './pipelined-connection.js';
import { slotMasterAddress } from './slot-master.js';

/** Some of a read's keys, by their place in it, and the connection to the node that serves them. */
export interface KeyGroup {
  connection: PipelinedConnection;
  /** Places in the keys given to `route`, in order. */
  indexes: number[];
}

/**
 * Where the pipelined read sends each key: the one connection beside a standalone client, or on a cluster a
 * connection per master, each key to the master of its slot.
 */
export interface PipelinedRoutes {
  /** The keys grouped by connection; undefined when some key's node is not known (the slot map not loaded yet). */
  route(keys: readonly string[]): KeyGroup[] | undefined;
  /** Closes every connection; a batch in flight rejects. Idempotent. */
  close(): void;
}

/** Every key to the one connection beside a standalone client. */
export function standaloneRoutes(connection: PipelinedConnection): PipelinedRoutes {
  return {
    route: (keys) => [{ connection, indexes: keys.map((_, i) => i) }],
    close: () => connection.close(),
  };
}

/**
 * Each key to the master of its slot, as the cluster client last mapped the slots: a key whose slot moved since
 * answers `MOVED` or `ASK`, and the caller reads it another way (the client follows redirections). A connection
 * opens at its first batch, with the node's options (the client's user, password and TLS); one to a node that is
 * no longer a master is closed when the next read is routed.
 */
export function clusterRoutes(cluster: Cluster, timeoutMs: number, name: string): PipelinedRoutes {
  const connections = new Map<string, PipelinedConnection>();
  let closed = false;
  return {
    route(keys) {
      if (closed) return undefined;
      const masters = new Map(cluster.nodes('master').map((node) => [nodeAddress(node), node]));
      for (const [address, connection] of connections)
        if (!masters.has(address)) {
          connection.close();
          connections.delete(address);
        }
      const groups = new Map<string, KeyGroup>();
      for (let i = 0; i < keys.length; i++) {
        const address = slotMasterAddress(cluster, keys[i] as string);
        const node = address === undefined ? undefined : masters.get(address);
        if (address === undefined || node === undefined) return undefined;
        let group = groups.get(address);
        if (group === undefined) {
          let connection = connections.get(address);
          if (connection === undefined) {
            connection = new PipelinedConnection(node.options, timeoutMs, name);
            connections.set(address, connection);
          }
          group = { connection, indexes: [] };
          groups.set(address, group);
        }
        group.indexes.push(i);
      }
      return [...groups.values()];
    },
    close() {
      closed = true;
      for (const connection of connections.values()) connection.close();
      connections.clear();
    },
  };
}
