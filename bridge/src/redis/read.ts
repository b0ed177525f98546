import type { RedisHandle } from './connection.js';

/**
 * SCAN page size. COUNT 1000 walks 100k keys in ~50 ms where COUNT 100 takes ~180 ms; 5000 cuts the round trips
 * (each of which waits for the event loop while heartbeats are parsed) for a ~2 ms Redis step per page, and
 * takes a 10k-server poll from ~140 to ~118 ms (bench/bridge-tick.ts).
 */
const SCAN_COUNT = 5_000;
/** Values per bounded MGET: big enough to amortise round trips, small enough not to stall Redis. */
export const MGET_CHUNK = 500;

export interface ScanResult {
  /** Distinct keys found. */
  count: number;
  /** The keys found, in the order they were handed to `onKey`. */
  keys: Set<string>;
  /** The scan stopped at `maxKeys`; the rest was not read this time. */
  truncated: boolean;
}

/**
 * Walks every key matching `pattern` and hands each new one to `onKey` as soon as its SCAN page arrives, so
 * that the caller can fetch and parse while the scan goes on. On a cluster, `SCAN` only walks the node it
 * lands on, so each master is scanned in turn. Bounded by `maxKeys`, and deduplicated (SCAN may repeat keys).
 * Once `signal` aborts, no further page is asked for (the scan rejects with its reason).
 */
export async function scanEach(
  redis: RedisHandle,
  pattern: string,
  maxKeys: number,
  onKey: (key: string) => void,
  signal?: AbortSignal,
): Promise<ScanResult> {
  const masters = redis.masters();
  if (redis.cluster && masters.length === 0) throw new Error('cluster slot map not loaded yet');
  const seen = new Set<string>();
  for (const node of masters) {
    let cursor = '0';
    do {
      signal?.throwIfAborted();
      const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
      for (const key of batch) {
        if (seen.has(key)) continue;
        if (seen.size >= maxKeys) return { count: seen.size, keys: seen, truncated: true };
        seen.add(key);
        onKey(key);
      }
      cursor = next;
    } while (cursor !== '0');
  }
  return { count: seen.size, keys: seen, truncated: false };
}

/** Redis's answer for a command on a key of another type: a fact about that key, not about Redis. */
export function isWrongType(err: unknown): boolean {
  return typeof (err as Error)?.message === 'string' && (err as Error).message.startsWith('WRONGTYPE');
}

/**
 * Runs `work` under a deadline that cancels it: at `ms` (or when the work fails) its signal aborts, so the work
 * issues no further command, and the returned promise rejects at once, whatever the work still has in flight.
 */
export function withCancellingDeadline<T>(work: (signal: AbortSignal) => Promise<T>, ms: number, what: string): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`${what} took longer than ${ms} ms`)), ms);
  timer.unref();
  const deadline = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
  });
  const done = work(controller.signal).catch((err: unknown) => {
    controller.abort(err);
    throw err;
  });
  return Promise.race([done, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Settles with `promise`, or rejects after `ms`, so a frozen Redis cannot stall the caller past a bound. The work
 * behind `promise` is not told and runs on: where it can stop, use `withCancellingDeadline`.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return withCancellingDeadline(() => promise, ms, what);
}

/**
 * `fn` over every item, at most `limit` at a time, results in item order. Bounds what is in flight at once:
 * Redis holds every reply of a pipelined burst in its output buffer for the bridge until the bridge reads it.
 */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
