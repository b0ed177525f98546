import { parseRedisTarget } from '@gravito/pulse-protocol';
import { context, diag as otelDiag } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { DiagOnce, errorMessage } from '../diag-once.js';
import { deadline } from './deadline.js';
import { letHostExit } from './let-host-exit.js';

/** A Redis or Cluster client, as Pulse uses it. */
export type PulseRedisClient = Redis | Cluster;

export interface RedisConnection {
  readonly client: PulseRedisClient;
  /** Pulse created the client, so Pulse closes it; a client the user passed is never closed. */
  readonly owned: boolean;
  readonly isCluster: boolean;
  /** Writes are skipped (and counted) while this is false: nothing waits in a queue. A client that has not connected yet starts connecting. */
  ready(): boolean;
  /** Connects a lazy client (bounded), under suppressTracing. Never rejects. */
  ensureConnected(timeoutMs: number): Promise<void>;
  /** Called on every transition to ready (first connect and every reconnect). */
  onReady(listener: () => void): void;
  close(): void;
}

export interface ConnectionSettings {
  writeTimeoutMs: number;
  /** Longest pause between reconnect attempts. */
  maxBackoffMs: number;
}

function isClient(value: unknown): value is PulseRedisClient {
  const v = value as { pipeline?: unknown; status?: unknown } | null;
  return typeof v === 'object' && v !== null && typeof v.pipeline === 'function' && typeof v.status === 'string';
}

/**
 * ioredis options for a telemetry writer that must never make its host wait or grow:
 * - `enableOfflineQueue: false`: while disconnected, commands fail at once instead of queueing
 *   without bound (20,000 heartbeats would hold about 21 MB);
 * - `maxRetriesPerRequest: 0` and no resend after reconnect: a lost write is counted, not replayed;
 * - `commandTimeout`: a command that gets no answer fails after `writeTimeoutMs`;
 * - `socketTimeout`: a socket that stops answering (a SIGSTOPped or wedged server) is destroyed
 *   and reconnected; `connectTimeout` bounds the TCP connect;
 * - capped exponential backoff, and a reconnect on `READONLY` (we talk to a replica after a failover);
 * - `disconnectTimeout`: a close waits 200 ms at most for the socket to end.
 */
export function safeRedisOptions(settings: ConnectionSettings): RedisOptions {
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: settings.writeTimeoutMs,
    socketTimeout: settings.writeTimeoutMs + 1_000,
    connectTimeout: Math.max(1_000, settings.writeTimeoutMs),
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 10), settings.maxBackoffMs),
    reconnectOnError: (err: Error) => (err.message.startsWith('READONLY') ? 1 : false),
    connectionName: 'gravito-pulse',
    // How long a close waits for the socket to end before destroying it. ioredis's timer for it (2 s by default) is
    // not unref'd and is never cleared when the socket was already gone: it held a process ending while Redis was away.
    disconnectTimeout: 200,
    // Connect at the first write, under suppressTracing (see `connect` below), not at construction:
    // createPulse usually runs before NodeSDK has installed its context manager.
    lazyConnect: true,
  };
}

/** A URL gives a Redis client; a seed list (several comma-separated parts) gives a Cluster client. */
function clientForUrl(url: string, options: RedisOptions): PulseRedisClient {
  const target = parseRedisTarget(url);
  if (!target.cluster) return new Redis(target.url, options);
  const { lazyConnect, enableOfflineQueue, ...nodeOptions } = options;
  return new Cluster(target.seeds, {
    // A cluster reads these at the top level: inside redisOptions they are ignored.
    lazyConnect,
    enableOfflineQueue,
    clusterRetryStrategy: (times: number) => (nodeOptions.retryStrategy?.(times) as number | undefined) ?? 1_000,
    // CLUSTERDOWN (a failover under way) fails the command at once instead of ioredis sending it again every
    // 100 ms: such a resend can land after the write's bound, when Pulse has already queued the entry again.
    retryDelayOnClusterDown: 0,
    redisOptions: {
      ...nodeOptions,
      username: target.username,
      password: target.password,
      ...(target.tls ? { tls: {} } : {}),
    },
  });
}

export function connect(
  target: string | RedisOptions | PulseRedisClient,
  overrides: RedisOptions,
  settings: ConnectionSettings,
): RedisConnection {
  const diag = new DiagOnce();
  const listeners: Array<() => void> = [];
  let client: PulseRedisClient;
  let owned: boolean;
  if (isClient(target)) {
    client = target;
    owned = false;
  } else {
    const options = { ...safeRedisOptions(settings), ...overrides };
    client = typeof target === 'string' ? clientForUrl(target, options) : new Redis({ ...options, ...target });
    owned = true;
    letHostExit(client);
    // Without an 'error' listener ioredis prints "[ioredis] Unhandled error event" on every
    // reconnect attempt. Loud (stderr even with diag off), once per outage of this connection.
    client.on('error', (err: Error & { code?: string }) => {
      diag.loud(
        'unreachable',
        `Redis is unreachable; heartbeats and entries are not written (counted) until it returns: ${errorMessage(err)}`,
      );
    });
  }
  let wasReady = client.status === 'ready';
  const onReady = () => {
    // Every ready after the first ends an outage: each is said, once.
    if (wasReady) otelDiag.info('[pulse] Redis is back');
    wasReady = true;
    diag.clear('unreachable');
    for (const listener of listeners) {
      try {
        listener();
      } catch {
        // a listener never breaks the connection's events
      }
    }
  };
  client.on('ready', onReady);
  let closed = false;
  let connecting: Promise<void> | undefined;
  /**
   * The socket is opened inside a suppressTracing context. Its callbacks (HELLO, CLIENT SETNAME, the
   * INFO ready check) and every reconnect timer inherit that async context, so no command this
   * client ever sends becomes a span, even with an ioredis instrumentation that traces parentless calls.
   */
  const startConnecting = (): Promise<void> => {
    // A user's lazy client is theirs to connect: Pulse only opens the one it created.
    if (connecting === undefined && owned && !closed && client.status === 'wait') {
      connecting = context
        .with(suppressTracing(context.active()), () => client.connect())
        .then(
          () => {},
          () => {}, // failures are reported by the 'error' listener; reconnects follow retryStrategy
        )
        .finally(() => {
          connecting = undefined;
        });
    }
    return connecting ?? Promise.resolve();
  };
  return {
    client,
    owned,
    isCluster: (client as { isCluster?: boolean }).isCluster === true,
    ready() {
      if (closed) return false;
      if (client.status === 'ready') return true;
      if (client.status === 'wait') void startConnecting();
      return false;
    },
    async ensureConnected(timeoutMs) {
      if (closed || !owned || client.status !== 'wait') return;
      const bound = deadline(timeoutMs, undefined);
      await Promise.race([startConnecting(), bound.reached]);
      bound.cancel();
    },
    onReady: (listener) => listeners.push(listener),
    close() {
      if (closed) return;
      closed = true;
      client.off('ready', onReady);
      if (owned) client.disconnect();
    },
  };
}
