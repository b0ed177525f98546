import { Redis } from 'ioredis';
import { type ContainerRedis, dockerEngineAdvertised, startContainerRedis } from './container-redis.js';
import { findRedisServer, LocalRedisServer } from './local-redis.js';

export {
  addUsersWithoutExpiry,
  addUserToChange,
  addUserWithoutClient,
  addUserWithoutGetrange,
  addUserWithoutScripts,
  addUserWithoutTransactions,
  asUserToChange,
  asUserWithoutClient,
  asUserWithoutExpiry,
  asUserWithoutGetrange,
  asUserWithoutScripts,
  asUserWithoutTransactions,
  changeUserOf,
  killConnectionsOf,
  removeUserOf,
} from './acl.js';
export { findBun, NO_BUN } from './bun.js';
export { findChromium, launchChromium, type PageLog, skipWithoutChromium, type TestBrowser } from './chromium.js';
export { findRedisServer, LocalRedisServer } from './local-redis.js';
export { findPostgres, skipWithoutPostgres, startPostgres, type TestPostgres } from './postgres.js';
export { masterPortOf, startRedisCluster, type TestRedisCluster } from './redis-cluster.js';
export { everyKeyAndValue } from './redis-text.js';
export { type RunOptions, type RunResult, run } from './run.js';
export { freePort, which } from './system.js';
export { type EventuallyOptions, eventually } from './wait.js';

export type RedisSource = 'env' | 'container' | 'local';

export interface RedisOptions {
  /** The test will kill, pause or restart Redis: a shared `REDIS_URL` server cannot be used. */
  faults?: boolean;
  /** Extra `redis-server` arguments, e.g. `['--maxmemory', '1mb', '--maxmemory-policy', 'noeviction']`. */
  args?: readonly string[];
}

export interface TestRedis {
  readonly source: RedisSource;
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** A fresh ioredis client; it is closed by `stop()`. */
  client(): Redis;
  /** Crashes the server (SIGKILL or `docker kill`). */
  kill(): Promise<void>;
  /** Freezes the server (SIGSTOP or `docker pause`): connections stay open and hang. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Brings up an empty server at the same address. */
  restart(): Promise<void>;
  /** Closes clients and stops the server the harness started. Idempotent. */
  stop(): Promise<void>;
}

const HOW_TO_GET_REDIS = [
  'No Redis for the tests. Any one of these works:',
  '  - set REDIS_URL=redis://host:port to use a running server;',
  '  - run a Docker engine (testcontainers starts redis:7.4-alpine);',
  '  - install redis-server on PATH (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis).',
].join('\n');

const CONTAINER_IMAGE = 'redis:7.4-alpine';

/**
 * Gives a test a real Redis: `REDIS_URL` if set (unless the test needs faults), else a Docker
 * container when an engine answers, else a private `redis-server` from PATH.
 */
export async function startRedis(options: RedisOptions = {}): Promise<TestRedis> {
  const args = options.args ?? [];
  if (process.env.REDIS_URL && !options.faults && args.length === 0) return fromUrl(process.env.REDIS_URL);
  if (dockerEngineAdvertised()) {
    try {
      return fromContainer(await startContainerRedis(CONTAINER_IMAGE, args));
    } catch {
      // An advertised engine that does not answer: fall through to a local server.
    }
  }
  const binary = findRedisServer();
  if (!binary) throw new Error(HOW_TO_GET_REDIS);
  return fromLocal(await LocalRedisServer.start(binary, args));
}

function withClients(base: Omit<TestRedis, 'client' | 'stop'>, stopServer: () => Promise<void>): TestRedis {
  const clients = new Set<Redis>();
  let stopped = false;
  return {
    ...base,
    client() {
      const client = new Redis(base.port, base.host, { lazyConnect: false, maxRetriesPerRequest: 1 });
      // Fault tests kill the server under this client; its reconnect errors are expected.
      client.on('error', () => {});
      clients.add(client);
      return client;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const client of clients) client.disconnect();
      await stopServer();
    },
  };
}

function unsupported(what: string): () => Promise<void> {
  return () => Promise.reject(new Error(`${what} is not possible on a REDIS_URL server; ask startRedis({ faults: true })`));
}

function fromUrl(url: string): TestRedis {
  const parsed = new URL(url);
  return withClients(
    {
      source: 'env',
      url,
      host: parsed.hostname,
      port: Number(parsed.port || 6379),
      kill: unsupported('kill'),
      pause: unsupported('pause'),
      resume: unsupported('resume'),
      restart: unsupported('restart'),
    },
    async () => {},
  );
}

function fromLocal(server: LocalRedisServer): TestRedis {
  return withClients(
    {
      source: 'local',
      url: `redis://127.0.0.1:${server.port}`,
      host: '127.0.0.1',
      port: server.port,
      kill: () => server.kill(),
      pause: async () => server.pause(),
      resume: async () => server.resume(),
      restart: () => server.restart(),
    },
    () => server.stop(),
  );
}

function fromContainer(container: ContainerRedis): TestRedis {
  const address = { host: container.host, port: container.port };
  return withClients(
    {
      source: 'container',
      get url() {
        return `redis://${address.host}:${address.port}`;
      },
      get host() {
        return address.host;
      },
      get port() {
        return address.port;
      },
      kill: () => container.kill(),
      pause: () => container.pause(),
      resume: () => container.resume(),
      restart: async () => {
        Object.assign(address, await container.restart());
      },
    },
    () => container.stop(),
  );
}

export { seededRandom } from './seeded-random.js';
