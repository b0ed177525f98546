import { after, before } from 'node:test';
import { eventually, findRedisServer, masterPortOf, startRedisCluster, type TestRedisCluster, which } from '@gravito/pulse-testkit';
import { Cluster } from 'ioredis';

/** `skip` for suites that start a real Redis Cluster. */
export const SKIP_WITHOUT_CLUSTER = findRedisServer() && which('redis-cli') ? false : 'no redis-server and redis-cli on PATH';

export interface FailoverCluster {
  /** The cluster's nodes: `seeds` for REDIS_URL, `kill(port)` and `pause(port)` for failovers. */
  readonly nodes: TestRedisCluster;
  /** A client of the test's own, to read what was written, following failovers. */
  readonly reader: Cluster;
  /** The port of the master that owns `key` now. */
  masterOf(key: string): Promise<number>;
}

/**
 * A real 3-master + 3-replica Redis Cluster for the enclosing describe, started in its `before` and stopped in its
 * `after`, with a 1 s node timeout: a replica takes over from a dead or frozen master in about 2 s rather than Redis's
 * default 15 s. Read its fields inside tests, once `before` has run.
 */
export function failoverCluster(): FailoverCluster {
  let nodes: TestRedisCluster | undefined;
  let reader: Cluster | undefined;
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the cluster is started in before(): read it inside a test');
    return value;
  };
  before(async () => {
    nodes = await startRedisCluster({ masters: 3, replicas: 1, nodeTimeoutMs: 1_000 });
    const client = new Cluster([...nodes.nodes], { enableOfflineQueue: true, clusterRetryStrategy: () => 200 });
    client.on('error', () => {});
    reader = client;
    // Its first commands can meet a connection that ioredis replaces once it has the slot map.
    await eventually('the reader to see the cluster', async () => (await client.cluster('INFO')).includes('cluster_state:ok'), 15_000);
  });
  after(async () => {
    reader?.disconnect();
    await nodes?.stop();
  });
  return {
    get nodes() {
      return started(nodes);
    },
    get reader() {
      return started(reader);
    },
    masterOf: (key) => masterPortOf(started(reader), key),
  };
}
