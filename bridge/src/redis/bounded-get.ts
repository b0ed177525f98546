import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { yieldToLoop } from '../lib/loop-slice.js';
import type { RedisHandle } from './connection.js';
import {
  ConnectionNotOpened,
  MAX_COMMANDS_PER_BATCH,
  type PipelinedConnection,
  respArgument,
  respCommand,
} from './pipelined-connection.js';
import type { KeyGroup } from './pipelined-routes.js';
import { isWrongType } from './read.js';
import { noteReadRefusal, readRefusal } from './refusals.js';

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
 * a key of another type; it stops after the key that brings the values read to `ARGV[2]` bytes, and the caller
 * sends the keys after it again. No writes and no shebang flags, so it runs on Redis 6 and 7, on replicas, and
 * while Redis is out of memory (`EVAL` without flags is not refused at maxmemory; GET and STRLEN never are).
 * With `ARGV[3]` = 1, each key's answer is followed by its `PTTL` (a reader that must notice expiries on time
 * without reading again: the tracked heartbeat read), so each key takes two places in the reply.
 */
export const BOUNDED_MGET = `
local max = tonumber(ARGV[1])
local budget = tonumber(ARGV[2])
local ttl = ARGV[3] == '1'
local out = {}
local read = 0
local n = 0
for i, key in ipairs(KEYS) do
  local length = redis.pcall('STRLEN', key)
  local value
  if type(length) ~= 'number' then
    value = -1
  elseif length > max then
    value = length
  else
    value = redis.call('GET', key)
    read = read + length
  end
  n = n + 1
  out[n] = value
  if ttl then
    n = n + 1
    out[n] = redis.call('PTTL', key)
  end
  if read >= budget then return out end
end
return out
`;

/**
 * Bytes of values one script call reads before it returns. A script runs as one command: Redis serves no other
 * client meanwhile, and copying values through Lua costs it ~4× an MGET. 500 heartbeats of 60 KB (valid, under the
 * 64 KiB bound) held Redis for ~90 ms a call; at this budget a call holds it for about a millisecond, whatever
 * the heartbeats' size (bench/bridge-bounded-read.ts). It also bounds what each call leaves in Redis's output buffer.
 */
export const SCRIPT_BYTES_PER_CALL = 128 * 1024;

const COMMAND = 'pulseBoundedMget';

/** Per client, how many keys one script call is sent: what its budget held at the value sizes last read. */
const keysPerCall = new WeakMap<object, number>();

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
 * What a read with expiries found: each key's value and, in the same order, its time to live in milliseconds as
 * Redis answered it (`PTTL`: -1 for no expiry, -2 for a key that is gone).
 */
export interface ValuesWithTtl {
  values: BoundedValue[];
  ttlMs: number[];
}

/**
 * One chunk of string values, each at most `maxBytes` long, in key order. Standalone: one script call for the
 * chunk. Cluster: one call per key (the keys of a chunk live in different slots). Where Redis refuses scripts,
 * `GETRANGE key 0 max` per key (`getRangeChunk`): bounded the same way (Redis never copies more than max + 1 bytes
 * of a value into its reply), for one command per key instead of one per chunk.
 */
export async function boundedGetChunk(
  redis: RedisHandle,
  keys: readonly string[],
  maxBytes: number,
  signal?: AbortSignal,
): Promise<BoundedValue[]> {
  return (await boundedRead(redis, keys, maxBytes, false, signal)).values;
}

/**
 * `boundedGetChunk`, each value with its time to live, read with it: as `GETRANGE` and `PTTL` on the handle's
 * pipelined connections (standalone, or each key on its slot's master), else in the same script call.
 */
export function boundedGetChunkWithTtl(
  redis: RedisHandle,
  keys: readonly string[],
  maxBytes: number,
  signal?: AbortSignal,
): Promise<ValuesWithTtl> {
  return boundedRead(redis, keys, maxBytes, true, signal);
}

async function boundedRead(
  redis: RedisHandle,
  keys: readonly string[],
  maxBytes: number,
  withTtl: boolean,
  signal?: AbortSignal,
): Promise<ValuesWithTtl> {
  // Undefined while a cluster's slot map is not loaded: the client's read, which waits for it.
  const groups = withTtl && readRefusal(redis, 'pipelined') === undefined ? redis.pipelined.route(keys) : undefined;
  if (groups !== undefined) {
    let read: PipelinedRead | undefined;
    try {
      read = await pipelinedChunk(redis, groups, keys, maxBytes, signal);
    } catch (err) {
      // An ACL that grants EVAL but not GETRANGE or PTTL (or renamed them): the script's path from then on.
      if (!noteReadRefusal(redis, 'pipelined', err)) throw err;
    }
    if (read !== undefined) {
      if (read.unread.length > 0) placeAt(read, read.unread, await clientRead(redis, keysAt(keys, read.unread), maxBytes, true, signal));
      return read;
    }
  }
  return clientRead(redis, keys, maxBytes, withTtl, signal);
}

/** The chunk through the client: the bounded-read script, or `GETRANGE` key by key where Redis refuses scripts. */
async function clientRead(
  redis: RedisHandle,
  keys: readonly string[],
  maxBytes: number,
  withTtl: boolean,
  signal?: AbortSignal,
): Promise<ValuesWithTtl> {
  if (readRefusal(redis, 'scripts') === undefined) {
    try {
      return await scriptChunk(redis, keys, maxBytes, withTtl, signal);
    } catch (err) {
      if (!noteReadRefusal(redis, 'scripts', err)) throw err;
    }
  }
  return getRangeChunk(redis, keys, maxBytes, withTtl, signal);
}

/** Once `signal` aborts, no further script call is sent (the chunk rejects with its reason). */
async function scriptChunk(
  redis: RedisHandle,
  keys: readonly string[],
  maxBytes: number,
  withTtl: boolean,
  signal?: AbortSignal,
): Promise<ValuesWithTtl> {
  const run = command(redis.client);
  const ttlFlag = withTtl ? 1 : 0;
  const values: BoundedValue[] = [];
  const ttlMs: number[] = [];
  if (redis.cluster) {
    signal?.throwIfAborted();
    const replies = await Promise.all(keys.map((key) => run[COMMAND](1, key, maxBytes, SCRIPT_BYTES_PER_CALL, ttlFlag)));
    for (const reply of replies) {
      values.push(toValue(reply[0] ?? null));
      if (withTtl) ttlMs.push(reply[1] as number);
    }
    return { values, ttlMs };
  }
  const perKey = withTtl ? 2 : 1;
  while (values.length < keys.length) {
    signal?.throwIfAborted();
    // The script reads at least one key a call and stops once it has read its budget; the keys it did not reach
    // are sent again. Each call is sent about as many keys as the budget holds at the sizes last read, so that
    // few are sent twice (each key sent is a cost to build and to parse).
    const batch = keys.slice(values.length, values.length + (keysPerCall.get(redis.client) ?? keys.length));
    const replies = await run[COMMAND](batch.length, ...batch, maxBytes, SCRIPT_BYTES_PER_CALL, ttlFlag);
    if (replies.length === 0) throw new Error('the bounded-read script answered no value');
    let bytes = 0;
    for (let i = 0; i < replies.length; i += perKey) {
      const reply = replies[i] as string | number | null;
      if (typeof reply === 'string') bytes += reply.length;
      values.push(toValue(reply));
      if (withTtl) ttlMs.push(replies[i + 1] as number);
    }
    const read = replies.length / perKey;
    keysPerCall.set(redis.client, Math.max(1, Math.ceil((SCRIPT_BYTES_PER_CALL * read) / Math.max(1, bytes))));
  }
  return { values, ttlMs };
}

/** A value's length as measured in Redis, unread: its length in bytes, nothing (the key is gone), or not a string. */
export type Measured = number | null | { wrongType: true };

/**
 * Each key's value length, measured in Redis without reading any value: the bounded read with a bound of 0 bytes,
 * so every non-empty value is "over the bound" and only its length comes back (one script call per chunk, or
 * GETRANGE and STRLEN where Redis refuses scripts). For a reader that plans by size what it reads.
 */
export async function measureChunk(redis: RedisHandle, keys: readonly string[], signal?: AbortSignal): Promise<Measured[]> {
  const values = await boundedGetChunk(redis, keys, 0, signal);
  return values.map((value) => {
    if (value === null) return null;
    if (typeof value === 'string') return value.length;
    return 'wrongType' in value ? value : value.tooLarge;
  });
}

type Reply = [error: Error | null, result: unknown];

/**
 * Keys per pipeline when reading key by key. ioredis builds and settles each command on the event loop, and
 * whatever replies one socket read completes are settled in one turn: at 10,000 heartbeats the longest block was
 * ~90 ms with one pipeline per 500-key chunk, ~40 ms with 100 keys a pipeline and ~16 ms with 25.
 */
const KEYS_PER_PIPELINE = 25;

/**
 * Sends `build`'s commands for every key, `perKey` of them each, and returns each key's replies. Standalone:
 * pipelines of `KEYS_PER_PIPELINE` keys, the loop given back between two; cluster: one pipeline per key (its
 * commands share the key's slot). Once `signal` aborts, no further pipeline is sent.
 */
async function pipelinePerKey(
  redis: RedisHandle,
  keys: readonly string[],
  perKey: number,
  build: (pipeline: ChainableCommander, key: string) => void,
  signal?: AbortSignal,
): Promise<Reply[][]> {
  const run = async (batch: readonly string[]) => {
    const pipeline = redis.client.pipeline();
    for (const key of batch) build(pipeline, key);
    const replies = ((await pipeline.exec()) ?? []) as Reply[];
    return batch.map((_, i) => replies.slice(i * perKey, (i + 1) * perKey));
  };
  signal?.throwIfAborted();
  if (redis.cluster) return (await Promise.all(keys.map((key) => run([key])))).flat();
  const batches: Promise<Reply[][]>[] = [];
  for (let start = 0; start < keys.length; start += KEYS_PER_PIPELINE) {
    if (start > 0) {
      await yieldToLoop();
      signal?.throwIfAborted();
    }
    const batch = run(keys.slice(start, start + KEYS_PER_PIPELINE));
    // Handled now, not only by Promise.all below: a batch failing while later ones are built is no unhandled rejection.
    batch.catch(() => {});
    batches.push(batch);
  }
  return (await Promise.all(batches)).flat();
}

/**
 * The chunk through `GETRANGE key 0 maxBytes`, key by key through ioredis (where Redis refuses scripts): at most
 * maxBytes + 1 bytes of each value are read.
 */
async function getRangeChunk(
  redis: RedisHandle,
  keys: readonly string[],
  maxBytes: number,
  withTtl: boolean,
  signal?: AbortSignal,
): Promise<ValuesWithTtl> {
  const replies = await pipelinePerKey(
    redis,
    keys,
    withTtl ? 2 : 1,
    (pipeline, key) => (withTtl ? pipeline.getrangeBuffer(key, 0, maxBytes).pttl(key) : pipeline.getrangeBuffer(key, 0, maxBytes)),
    signal,
  );
  const ranges = replies.map(([[error, result] = [null, Buffer.alloc(0)]]) => error ?? (result as Buffer));
  const ttlMs = withTtl ? replies.map(([, [, ttl] = [null, -2]]) => ttl as number) : [];
  return { values: await fromRanges(redis, keys, ranges, withTtl ? ttlMs : undefined, maxBytes, signal), ttlMs };
}

/**
 * Bytes of values one batch on the pipelined connection is meant to bring: its keys are as many as this holds at
 * the largest value the last batch read (64 keys of 64 KiB; a whole chunk of typical heartbeats). Each batch costs
 * the bridge ~0.1 ms of its own (a write, a promise, a timer, the reads of its replies: 4,000 heartbeats in 63-key
 * batches took 14.8 ms of loop, in one batch per chunk 8.6 ms), so few large batches, sized by what was read.
 * A value that grew since is still at most maxBytes + 1 bytes: a batch never holds more than its keys times that.
 */
const PIPELINED_BATCH_BYTES = 4 * 1024 * 1024;

// The arguments every key's commands share, written once.
const GETRANGE = respArgument('GETRANGE');
const FROM_0 = respArgument(0);
const PTTL = respArgument('PTTL');
/** Where a key goes in the commands' text (no RESP text here holds a NUL). */
const KEY_MARK = '\0';

/** Per pipelined connection, the largest value its last batch read (in bytes). */
const largestRead = new WeakMap<PipelinedConnection, number>();

/** A key's slot moved since the cluster client mapped the slots (resharding): it is read through the client. */
const isRedirect = (reply: unknown) => reply instanceof Error && /^(MOVED|ASK) /.test(reply.message);

/** What the pipelined read found: each key's value and time to live, but for the keys whose slot moved. */
interface PipelinedRead extends ValuesWithTtl {
  /**
   * Places of the keys left unread, for the client to read: redirected by their node (`MOVED`, `ASK`), or on a node
   * that did not take a connection (`ConnectionNotOpened`, at maxclients: the next read asks again).
   */
  unread: number[];
}

/**
 * The chunk with each value's time to live, on the handle's pipelined connections (`groups`: one standalone, one
 * per master of a cluster, all at once): `GETRANGE key 0 maxBytes` and `PTTL key` as plain commands, in batches
 * sent one after another on each. A script pays Redis ~1.5 µs per `redis.call` and copies each value twice; plain
 * commands cost it about half, and the pipelined connection parses their replies without ioredis's per-command
 * objects (bench/bridge-tick.ts, last table). A node's keys are left `unread` when its connection could not be opened.
 */
async function pipelinedChunk(
  redis: RedisHandle,
  groups: readonly KeyGroup[],
  keys: readonly string[],
  maxBytes: number,
  signal?: AbortSignal,
): Promise<PipelinedRead> {
  // Standalone, the one group holds every key in order (its places are 0…n-1): its keys are the keys.
  const whole = groups.length === 1 && groups[0]?.indexes.length === keys.length;
  const byGroup = await Promise.all(
    groups.map(async ({ connection, indexes }) => {
      try {
        return { indexes, ...(await readRanges(connection, whole ? keys : keysAt(keys, indexes), maxBytes, signal)) };
      } catch (err) {
        if (err instanceof ConnectionNotOpened) return { indexes, notOpened: true as const };
        throw err;
      }
    }),
  );
  const [only] = byGroup;
  if (
    whole &&
    only !== undefined &&
    !('notOpened' in only) &&
    !only.ranges.some(isRedirect) &&
    only.ttlMs.every((ttl) => typeof ttl === 'number')
  ) {
    // Nothing to sort out (the usual case): the values in the keys' order, as read.
    const ttlMs = only.ttlMs as number[];
    return { values: await fromRanges(redis, keys, only.ranges, ttlMs, maxBytes, signal), ttlMs, unread: [] };
  }
  const direct: number[] = [];
  const ranges: RangeReply[] = [];
  const directTtlMs: number[] = [];
  const unread: number[] = [];
  for (const group of byGroup) {
    if ('notOpened' in group) {
      unread.push(...group.indexes);
      continue;
    }
    group.indexes.forEach((index, j) => {
      const range = group.ranges[j] as RangeReply;
      const ttl = group.ttlMs[j] as number | Error;
      if (isRedirect(range) || isRedirect(ttl)) unread.push(index);
      else if (ttl instanceof Error) throw ttl;
      else {
        direct.push(index);
        ranges.push(range);
        directTtlMs.push(ttl);
      }
    });
  }
  const read: PipelinedRead = { values: new Array(keys.length), ttlMs: new Array(keys.length), unread };
  const directValues = await fromRanges(redis, keysAt(keys, direct), ranges, directTtlMs, maxBytes, signal);
  placeAt(read, direct, { values: directValues, ttlMs: directTtlMs });
  return read;
}

/** The keys at these places. */
const keysAt = (keys: readonly string[], indexes: readonly number[]) => indexes.map((i) => keys[i] as string);

/** Puts what a read of the keys at `indexes` found (in their order) at those places of `into`. */
function placeAt(into: ValuesWithTtl, indexes: readonly number[], read: ValuesWithTtl): void {
  indexes.forEach((index, j) => {
    into.values[index] = read.values[j] as BoundedValue;
    into.ttlMs[index] = read.ttlMs[j] as number;
  });
}

/** One connection's keys, in batches sent one after another: each key's GETRANGE and PTTL replies, errors in place. */
async function readRanges(
  connection: PipelinedConnection,
  keys: readonly string[],
  maxBytes: number,
  signal?: AbortSignal,
): Promise<{ ranges: RangeReply[]; ttlMs: (number | Error)[] }> {
  const ranges: RangeReply[] = [];
  const ttlMs: (number | Error)[] = [];
  // Each key's two commands, `GETRANGE ‹key› 0 ‹maxBytes›` then `PTTL ‹key›`, are the same text around the key:
  // written once by respCommand, with a mark where the key goes, and cut there.
  const [beforeKey, betweenKeys] = (respCommand(GETRANGE, KEY_MARK, FROM_0, respArgument(maxBytes)) + respCommand(PTTL, KEY_MARK)).split(
    KEY_MARK,
  ) as [string, string];
  for (let start = 0; start < keys.length; ) {
    const largest = Math.min(maxBytes + 1, largestRead.get(connection) ?? maxBytes + 1);
    const perBatch = Math.max(1, Math.min(MAX_COMMANDS_PER_BATCH / 2, Math.floor(PIPELINED_BATCH_BYTES / Math.max(1, largest))));
    const batch = keys.slice(start, start + perBatch);
    // One template per key rather than respCommand's joins (half the time, at thousands of keys a poll).
    const commands = batch.map((key) => {
      const keyArgument = respArgument(key);
      return `${beforeKey}${keyArgument}${betweenKeys}${keyArgument}`;
    });
    start += perBatch;
    const replies = await connection.send(commands.join(''), batch.length * 2, signal);
    let batchLargest = 0;
    for (let i = 0; i < replies.length; i += 2) {
      const range = replies[i];
      const ttl = replies[i + 1];
      if (!(range instanceof Error) && !Buffer.isBuffer(range)) throw new Error('GETRANGE answered something other than a string');
      if (typeof ttl !== 'number' && !(ttl instanceof Error)) throw new Error('PTTL answered something other than an integer');
      if (Buffer.isBuffer(range)) batchLargest = Math.max(batchLargest, range.length);
      ranges.push(range);
      ttlMs.push(ttl);
    }
    largestRead.set(connection, batchLargest);
  }
  return { ranges, ttlMs };
}

/** A `GETRANGE key 0 maxBytes` reply: the bytes read, or the error Redis answered. */
type RangeReply = Buffer | Error;

/**
 * The values that `GETRANGE key 0 maxBytes` replies say: at most maxBytes + 1 bytes of each value are read, so a
 * reply that long means the value is over the bound. A missing key and an empty value both read as empty; a key
 * whose `PTTL`, read just after (`ttlMs`), answered -2 is gone. Those left unsure, and the values over the bound,
 * are told apart by `EXISTS` and `STRLEN` (O(1), no value read), so that every value is reported in the same words
 * as by the script.
 */
async function fromRanges(
  redis: RedisHandle,
  keys: readonly string[],
  ranges: readonly RangeReply[],
  ttlMs: readonly number[] | undefined,
  maxBytes: number,
  signal?: AbortSignal,
): Promise<BoundedValue[]> {
  const values: BoundedValue[] = [];
  const unsure: number[] = [];
  for (let i = 0; i < ranges.length; i++) {
    const range = ranges[i] as RangeReply;
    if (range instanceof Error) {
      if (!isWrongType(range)) throw range;
      values[i] = { wrongType: true };
    } else if (range.length > 0 && range.length <= maxBytes) values[i] = range.toString('utf8');
    else {
      values[i] = null;
      if (range.length > 0 || ttlMs?.[i] !== -2) unsure.push(i);
    }
  }
  if (unsure.length === 0) return values;
  const checks = await pipelinePerKey(
    redis,
    unsure.map((i) => keys[i] as string),
    2,
    (pipeline, key) => pipeline.exists(key).strlen(key),
    signal,
  );
  checks.forEach(([[, exists] = [null, 0], [, length] = [null, 0]], j) => {
    const i = unsure[j] as number;
    // Gone, or rewritten within bounds between the two reads: left for the next poll.
    if (exists !== 1) values[i] = null;
    else if ((length as number) > maxBytes) values[i] = { tooLarge: length as number };
    else if (length === 0) values[i] = '';
  });
  return values;
}

/** Chunks in flight at once: Redis holds each reply in its output buffer for the bridge until the bridge reads it. */
export const CHUNKS_IN_FLIGHT = 8;

/**
 * Fetches chunks of keys with `boundedGetChunk`, at most `CHUNKS_IN_FLIGHT` at a time, and hands each chunk's
 * values to `onValues` as it arrives. So Redis's output buffer for the bridge stays under
 * `CHUNKS_IN_FLIGHT × (SCRIPT_BYTES_PER_CALL + maxBytes)` (8 × 192 KiB = 1.5 MiB) however many keys and however
 * large their values; read with GETRANGE (on the pipelined connections, or through ioredis where Redis refuses
 * scripts), under `CHUNKS_IN_FLIGHT × chunk size × maxBytes` (8 × 500 × 64 KiB = 256 MiB for the largest valid
 * heartbeats, ~6 MB for typical 1.5 KB ones; the pipelined connection sizes its batches by the values it last read,
 * ~4 MiB each, so 64 KiB values are read 64 at a time, 32 MiB in flight).
 * The bridge holds at most as much in flight: smaller chunks hold less.
 *
 * `stop()` issues no further chunk (the caller's cap is reached; what is in flight is still handed over). Once
 * `signal` aborts, nothing further is sent, not even a chunk's next script call, and `done()` rejects.
 */
export class ChunkFetcher {
  private readonly waiting: string[][] = [];
  private readonly jobs: Promise<void>[] = [];
  private inFlight = 0;
  private failure: unknown;

  constructor(
    private readonly redis: RedisHandle,
    private readonly maxBytes: number,
    private readonly onValues: (keys: readonly string[], values: readonly BoundedValue[], ttlMs: readonly number[]) => void,
    private readonly signal?: AbortSignal,
    /** Also reads each value's time to live (`ttlMs` is empty otherwise). */
    private readonly withTtl = false,
  ) {}

  add(keys: string[]): void {
    if (keys.length === 0) return;
    this.waiting.push(keys);
    this.pump();
  }

  /** Issues no further chunk; the chunks in flight are still fetched and handed over. */
  stop(): void {
    this.waiting.length = 0;
  }

  /** Settles once every chunk added so far is fetched and handed over; rejects with the first failure, or the abort. */
  async done(): Promise<void> {
    while (this.jobs.length > 0) await Promise.all(this.jobs.splice(0));
    if (this.failure !== undefined) throw this.failure;
    this.signal?.throwIfAborted();
  }

  private pump(): void {
    while (this.inFlight < CHUNKS_IN_FLIGHT && this.waiting.length > 0 && this.failure === undefined && !this.signal?.aborted) {
      const keys = this.waiting.shift() as string[];
      this.inFlight++;
      const job = boundedRead(this.redis, keys, this.maxBytes, this.withTtl, this.signal)
        .then(({ values, ttlMs }) => this.onValues(keys, values, ttlMs))
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
