import { parseRedisTarget } from '@gravito/pulse-protocol';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { PipelinedConnection } from './pipelined-connection.js';
import { clusterRoutes, type PipelinedRoutes, standaloneRoutes } from './pipelined-routes.js';

/** The one Redis handle of a bridge: a standalone client or a cluster, told apart once. */
export interface RedisHandle {
  readonly client: Redis | Cluster;
  readonly cluster: boolean;
  /** True when commands can be sent now (`ready`). */
  ready(): boolean;
  /**
   * Why commands cannot be sent now (the main connection is not ready), with the cause of the outage when a
   * connection error said it; undefined when they can.
   */
  unready(): string | undefined;
  /**
   * The connections to SCAN on. Standalone: a second connection to the server, so that a scan does not queue
   * behind the reads it feeds, or the main connection while that one is away (`awayConnections`); cluster: every master
   * it currently knows (empty until the slot map loads).
   */
  masters(): Redis[];
  /**
   * The bridge's own connections beside the main one that are away while the main connection is up, each with why:
   * the main connection carries their reads meanwhile. Redis at maxclients refuses a connection killed or dropped;
   * the bridge goes on with the one it still has.
   */
  awayConnections(): AwayConnection[];
  /**
   * Connections of their own for large batches of plain reads, each opened at its first batch: one beside a
   * standalone client, one per master of a cluster (each key to its slot's master).
   */
  readonly pipelined: PipelinedRoutes;
  close(): Promise<void>;
}

/** A connection of the bridge's own that is away (`scan`: the scans'; `read`: the pipelined read's), and why. */
export interface AwayConnection {
  connection: 'scan' | 'read';
  why: string;
}

export interface ConnectOptions {
  /** Timeout of one command, of a TCP connect, and of a socket that stops answering (a SIGSTOPped server). */
  timeoutMs: number;
  onError?: (err: Error) => void;
}

/** The pipelined read's connections, as CLIENT LIST names them. */
const READ_CONNECTION_NAME = 'pulse-bridge-read';

/** Reconnects back off to at most 2 s, forever: the bridge must come back on its own when Redis does. */
const retryStrategy = (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2_000);

function safeOptions(timeoutMs: number): RedisOptions {
  return {
    // Commands fail at once while Redis is away rather than piling up in memory; the poller just tries next tick.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: Math.max(timeoutMs, 500),
    commandTimeout: timeoutMs,
    // The only option that notices a frozen (SIGSTOP) server: the socket is destroyed and reconnected.
    socketTimeout: Math.max(timeoutMs * 2, 1_000),
    retryStrategy,
    autoResendUnfulfilledCommands: false,
    lazyConnect: true,
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
    connectionName: 'pulse-bridge',
    // ioredis's ready check is an INFO; where an ACL refuses INFO it prints a plain-text warning through the
    // console, into the JSON log. The bridge judges readiness itself (every poll, and a PING: RedisLiveness).
    enableReadyCheck: false,
    // RESP2 reply shapes (flat WITHSCORES, stream entries as arrays) are the ones this code reads.
    protocol: 2,
  };
}

export function connectRedis(target: string, options: ConnectOptions): RedisHandle {
  const parsed = parseRedisTarget(target);
  const base = safeOptions(options.timeoutMs);
  let client: Redis | Cluster;
  if (parsed.cluster) {
    client = new Cluster(parsed.seeds, {
      // Must sit at the top level for a cluster: it is ignored inside redisOptions.
      enableOfflineQueue: false,
      lazyConnect: true,
      clusterRetryStrategy: retryStrategy,
      slotsRefreshTimeout: Math.max(options.timeoutMs, 1_000),
      redisOptions: {
        ...base,
        lazyConnect: false,
        username: parsed.username,
        password: parsed.password,
        ...(parsed.tls ? { tls: {} } : {}),
      },
    });
  } else {
    client = new Redis(parsed.url, base);
  }
  /**
   * The main connection's last error since it was last ready: the cause of an outage (a refused port, a name that
   * does not resolve, a TLS or AUTH failure), which a command refused meanwhile does not say.
   */
  let cause: string | undefined;
  // Without a listener ioredis prints every reconnect failure; the monitor logs state changes once instead.
  client.on('error', (err: Error) => {
    cause = err.message;
    options.onError?.(err);
  });
  client.on('ready', () => (cause = undefined));
  client.connect().catch(() => {
    // The retry strategy keeps trying; the status is reported by the monitor.
  });
  let scanner: Redis | undefined;
  /** The scan connection closed since it was last ready (not merely still opening, as at start). */
  let scannerLost = false;
  if (client instanceof Redis) {
    scanner = client.duplicate({ connectionName: 'pulse-bridge-scan' });
    scanner.on('error', () => {}); // the main client reports the same failures
    scanner.on('close', () => (scannerLost = true));
    scanner.on('ready', () => (scannerLost = false));
    scanner.connect().catch(() => {});
  }
  const pipelined =
    client instanceof Redis
      ? standaloneRoutes(new PipelinedConnection(client.options, options.timeoutMs, READ_CONNECTION_NAME))
      : clusterRoutes(client, options.timeoutMs, READ_CONNECTION_NAME);
  let closed = false;
  const unready = () => {
    if (client.status === 'ready') return undefined;
    return `Redis not connected (${client.status})${cause === undefined ? '' : `: ${cause}`}`;
  };
  /** The scan connection is away while the main one answers (killed, or refused a new connection at maxclients). */
  const scannerAway = () => scanner !== undefined && scanner.status !== 'ready' && client.status === 'ready';
  return {
    client,
    cluster: parsed.cluster,
    ready: () => unready() === undefined,
    unready,
    masters: () => (client instanceof Cluster ? client.nodes('master') : [scannerAway() ? client : (scanner as Redis)]),
    awayConnections() {
      const away: AwayConnection[] = [];
      if (unready() !== undefined) return away;
      if (scannerAway() && scannerLost) away.push({ connection: 'scan', why: String(scanner?.status) });
      const unopened = pipelined.unopened();
      if (unopened !== undefined) away.push({ connection: 'read', why: unopened.message });
      return away;
    },
    pipelined,
    async close() {
      if (closed) return;
      closed = true;
      pipelined.close();
      await Promise.all(
        [client, scanner].map(async (c) => {
          if (!c) return;
          try {
            await Promise.race([c.quit(), new Promise((resolve) => setTimeout(resolve, 500).unref())]);
          } catch {
            // already gone
          }
          c.disconnect();
        }),
      );
    },
  };
}
