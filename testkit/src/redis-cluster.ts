import { Redis } from 'ioredis';
import { findRedisServer, LocalRedisServer } from './local-redis.js';
import { run } from './run.js';
import { which } from './system.js';
import { eventually } from './wait.js';

/** A cluster node's bus listens on port + 10000. */
const MAX_NODE_PORT = 65_535 - 10_000;

export interface ClusterOptions {
  masters?: number;
  /** Replicas per master (`redis-cli --cluster create --cluster-replicas`). Default 0. */
  replicas?: number;
  /** `cluster-node-timeout`: how long a silent master takes to be failed over. Default 15000 (Redis's own). */
  nodeTimeoutMs?: number;
}

export interface TestRedisCluster {
  readonly nodes: readonly { host: string; port: number }[];
  /** SIGKILLs the node listening on `port` (a crash: its replica takes over after the node timeout). */
  kill(port: number): Promise<void>;
  /** `host:port,host:port,…`, the seed-list form a cluster URL takes. */
  readonly seeds: string;
  /** Stops every node. Idempotent. */
  stop(): Promise<void>;
}

/**
 * A private Redis Cluster of `masters` nodes, each with `replicas` replicas (redis-server and redis-cli from
 * PATH), for tests of cluster-only behaviour: per-master SCAN, no cross-slot pipelines or MGETs, failovers.
 */
export async function startRedisCluster({ masters = 3, replicas = 0, nodeTimeoutMs }: ClusterOptions = {}): Promise<TestRedisCluster> {
  const binary = findRedisServer();
  const cli = which('redis-cli');
  if (!binary || !cli) throw new Error('a Redis Cluster needs redis-server and redis-cli on PATH (apt-get install -y redis-server)');
  const servers: LocalRedisServer[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(servers.map((server) => server.stop()));
  };
  try {
    const args = ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'];
    if (nodeTimeoutMs !== undefined) args.push('--cluster-node-timeout', String(nodeTimeoutMs));
    for (let i = 0; i < masters * (1 + replicas); i++) servers.push(await LocalRedisServer.start(binary, args, MAX_NODE_PORT));
    const addresses = servers.map((server) => `127.0.0.1:${server.port}`);
    await run(cli, ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicas), '--cluster-yes'], { timeoutMs: 20_000 });
    await Promise.all(
      servers.map(async (server) => {
        const node = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
        node.on('error', () => {});
        try {
          await eventually('the cluster to be ready', async () => (await node.cluster('INFO')).includes('cluster_state:ok'), 15_000);
          // A replica can take over only once it has synced with its master.
          await eventually(
            'a replica to sync',
            async () => {
              const info = await node.info('replication');
              return info.includes('role:master') || info.includes('master_link_status:up');
            },
            15_000,
          );
        } finally {
          node.disconnect();
        }
      }),
    );
    return {
      nodes: servers.map((server) => ({ host: '127.0.0.1', port: server.port })),
      seeds: addresses.join(','),
      async kill(port) {
        const server = servers.find((s) => s.port === port);
        if (!server) throw new Error(`no cluster node on port ${port}`);
        await server.kill();
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The port of the master that serves `key`'s slot right now, as `client` (any node or cluster client) sees it. */
export async function masterPortOf(client: Pick<Redis, 'cluster'>, key: string): Promise<number> {
  const slot = Number(await client.cluster('KEYSLOT', key));
  const port = (await client.cluster('SLOTS')).find(([from, to]) => slot >= from && slot <= to)?.[2]?.[1];
  if (port === undefined) throw new Error(`slot ${slot} of ${key} is not served`);
  return port;
}
