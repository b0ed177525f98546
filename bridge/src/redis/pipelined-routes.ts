import type { Cluster } from 'ioredis';
import { MasterConnections } from './master-connections.js';
import { PipelinedConnection } from './pipelined-connection.js';

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
  /** Why a connection could not be opened, the last time one was, if it still cannot (reads then take the client's). */
  unopened(): Error | undefined;
  /** Closes every connection; a batch in flight rejects. Idempotent. */
  close(): void;
}

/** Every key to the one connection beside a standalone client. */
export function standaloneRoutes(connection: PipelinedConnection): PipelinedRoutes {
  return {
    route: (keys) => [{ connection, indexes: keys.map((_, i) => i) }],
    unopened: () => connection.unopened,
    close: () => connection.close(),
  };
}

/**
 * Each key to the master of its slot (MasterConnections): a key whose slot moved since answers `MOVED` or `ASK`, and
 * the caller reads it another way (the client follows redirections).
 */
export function clusterRoutes(cluster: Cluster, timeoutMs: number, name: string): PipelinedRoutes {
  const connections = new MasterConnections(
    cluster,
    (node) => new PipelinedConnection(node.options, timeoutMs, name),
    (connection) => connection.close(),
  );
  let closed = false;
  return {
    route(keys) {
      if (closed) return undefined;
      const masterOf = connections.lookup();
      const groups = new Map<string, KeyGroup>();
      for (let i = 0; i < keys.length; i++) {
        const master = masterOf(keys[i] as string);
        if (master === undefined) return undefined;
        let group = groups.get(master.address);
        if (group === undefined) {
          group = { connection: master.connection, indexes: [] };
          groups.set(master.address, group);
        }
        group.indexes.push(i);
      }
      return [...groups.values()];
    },
    unopened() {
      for (const connection of connections.all()) if (connection.unopened) return connection.unopened;
      return undefined;
    },
    close() {
      closed = true;
      connections.closeAll();
    },
  };
}
