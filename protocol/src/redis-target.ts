/**
 * The one reading of `REDIS_URL` shared by every Pulse process (the Node exporter, the bridge, the example
 * app): a `redis://` or `rediss://` URL, or a Redis Cluster seed list of several comma-separated URLs or
 * `host:port` parts. Plain data only: each package builds its own ioredis client from it.
 */

export class PulseRedisUrlError extends Error {
  override name = 'PulseRedisUrlError';
}

export interface RedisSeed {
  host: string;
  port: number;
}

export type RedisTarget =
  | { cluster: false; url: string }
  | {
      cluster: true;
      seeds: RedisSeed[];
      /** Credentials and TLS from the seed URLs (one cluster has one set): every node is reached with them. */
      username?: string;
      password?: string;
      tls: boolean;
    };

const DEFAULT_PORT = 6379;

function asUrl(part: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(part) ? part : `redis://${part}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new PulseRedisUrlError(`REDIS_URL part ${JSON.stringify(part)} is not a redis:// URL or host:port`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new PulseRedisUrlError(`REDIS_URL part ${JSON.stringify(part)} must use redis:// or rediss://`);
  }
  if (!url.hostname) throw new PulseRedisUrlError(`REDIS_URL part ${JSON.stringify(part)} has no host`);
  return url;
}

/** Parses `REDIS_URL`; throws a `PulseRedisUrlError` with one readable line. */
export function parseRedisTarget(raw: string): RedisTarget {
  const parts = String(raw)
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new PulseRedisUrlError('REDIS_URL is empty');
  const urls = parts.map(asUrl);
  if (urls.length === 1) return { cluster: false, url: (urls[0] as URL).toString() };
  const credentials = new Set(
    urls.filter((u) => u.username || u.password || u.protocol === 'rediss:').map((u) => `${u.protocol}${u.username}:${u.password}`),
  );
  if (credentials.size > 1) throw new PulseRedisUrlError('REDIS_URL seeds disagree on credentials or TLS: one cluster takes one set');
  const first = urls.find((u) => u.username || u.password || u.protocol === 'rediss:') ?? (urls[0] as URL);
  return {
    cluster: true,
    seeds: urls.map((url) => ({ host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : DEFAULT_PORT })),
    ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
    ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
    tls: first.protocol === 'rediss:',
  };
}
