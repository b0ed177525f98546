import type { Cluster, Redis } from 'ioredis';
import type { RedisHandle } from './connection.js';

/**
 * What one bounded GET found: the value, nothing (the key vanished), or why the value was not fetched. The
 * size is checked inside Redis before the value is read, so a 50 MB value never enters Redis's output buffer
 * for the bridge, nor the bridge's heap: only its length does.
 */
export type BoundedValue = string | null | Unread;

/** A value the bounded read left in Redis: too long, or not a string. */
export type Unread = { tooLarge: number } | { wrongType: true };

/** Why a value was left unread, in the same words for every reader (its fingerprint too: it changes with the length). */
export function unreadReason(value: Unread, maxBytes: number): string {
  return 'wrongType' in value ? 'not a string' : `${value.tooLarge} bytes, over the ${maxBytes}-byte limit (not read)`;
}

/**
 * Per key: `STRLEN` (O(1); an error for a key that is not a string), then `GET` only when the length is within
 * the bound. Returns, in key order, the value, nil for a missing key, the length when over the bound, or -1 for
 * a key of another type. No writes and no shebang flags, so it runs on Redis 6 and 7, on replicas, and while
 * Redis is out of memory (`EVAL` without flags is not refused at maxmemory; GET and STRLEN never are).
 */
const BOUNDED_MGET = `
local max = tonumber(ARGV[1])
local out = {}
for i, key in ipairs(KEYS) do
  local length = redis.pcall('STRLEN', key)
  if type(length) ~= 'number' then
    out[i] = -1
  elseif length > max then
    out[i] = length
  else
    out[i] = redis.call('GET', key)
  end
end
return out
`;

const COMMAND = 'pulseBoundedMget';

type WithCommand = {
  [COMMAND](numberOfKeys: number, ...args: (string | number)[]): Promise<(string | number | null)[]>;
};

const defined = new WeakSet<object>();

function command(client: Redis | Cluster): WithCommand {
  // ioredis sends EVALSHA and falls back to EVAL once when the script is not cached (after a restart, a failover).
  if (!defined.has(client)) {
    client.defineCommand(COMMAND, { lua: BOUNDED_MGET, readOnly: true });
    defined.add(client);
  }
  return client as unknown as WithCommand;
}

function toValue(reply: string | number | null): BoundedValue {
  if (reply === null || typeof reply === 'string') return reply;
  return reply < 0 ? { wrongType: true } : { tooLarge: reply };
}

/**
 * One chunk of string values, each at most `maxBytes` long, in key order. Standalone: one script call for the
 * chunk. Cluster: one call per key (the keys of a chunk live in different slots).
 */
export async function boundedGetChunk(redis: RedisHandle, keys: readonly string[], maxBytes: number): Promise<BoundedValue[]> {
  const run = command(redis.client);
  if (redis.cluster) {
    const replies = await Promise.all(keys.map((key) => run[COMMAND](1, key, maxBytes)));
    return replies.map((reply) => toValue(reply[0] ?? null));
  }
  const replies = await run[COMMAND](keys.length, ...keys, maxBytes);
  return replies.map(toValue);
}

/** Chunks in flight at once: Redis holds each reply in its output buffer for the bridge until the bridge reads it. */
export const CHUNKS_IN_FLIGHT = 8;

/**
 * Fetches chunks of keys with `boundedGetChunk`, at most `CHUNKS_IN_FLIGHT` at a time, and hands each chunk's
 * values to `onValues` as it arrives. So Redis's output buffer for the bridge stays under
 * `CHUNKS_IN_FLIGHT × chunk size × maxBytes` (8 × 500 × 64 KiB = 256 MiB for the largest valid heartbeats;
 * ~6 MB for typical 1.5 KB ones), however many keys and however large their values.
 */
export class ChunkFetcher {
  private readonly waiting: string[][] = [];
  private readonly jobs: Promise<void>[] = [];
  private inFlight = 0;
  private failure: unknown;

  constructor(
    private readonly redis: RedisHandle,
    private readonly maxBytes: number,
    private readonly onValues: (keys: readonly string[], values: readonly BoundedValue[]) => void,
  ) {}

  add(keys: string[]): void {
    if (keys.length === 0) return;
    this.waiting.push(keys);
    this.pump();
  }

  /** Settles once every chunk added so far is fetched and handed over; rejects with the first failure. */
  async done(): Promise<void> {
    while (this.jobs.length > 0) await Promise.all(this.jobs.splice(0));
    if (this.failure !== undefined) throw this.failure;
  }

  private pump(): void {
    while (this.inFlight < CHUNKS_IN_FLIGHT && this.waiting.length > 0 && this.failure === undefined) {
      const keys = this.waiting.shift() as string[];
      this.inFlight++;
      const job = boundedGetChunk(this.redis, keys, this.maxBytes)
        .then((values) => this.onValues(keys, values))
        .catch((err: unknown) => {
          this.failure ??= err;
        })
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
      this.jobs.push(job);
    }
  }
}
