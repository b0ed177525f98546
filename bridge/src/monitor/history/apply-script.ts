import {
  EXCEPTION_FIELD_PREFIX,
  EXCEPTION_GROUPS_FIELD,
  EXCEPTION_OTHER_FIELD,
  historyCursorKey,
  SLOW_FIELD_PREFIX,
  SLOW_GROUPS_FIELD,
  SLOW_OTHER_FIELD,
} from '@gravito/pulse-protocol';
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import type { BucketDelta } from './bucket-deltas.js';
import { MAX_EXCEPTION_SERVERS } from './bucket-deltas.js';
import type { PassPipeline } from './pass-pipeline.js';

/**
 * Adds a counting pass to its buckets and moves the app's cursor, in one script, only if the cursor is still the
 * one the pass read from (compare-and-set): a bridge that raced another one is refused here and reads again from
 * the cursor the other one left, so no entry is added twice. The cursor and the buckets share the app's hash
 * tag, hence one slot: a Cluster failover keeps or loses them together.
 *
 * KEYS: the cursor, then each bucket. ARGV: the expected slow and errors cursors ('' for none), the new ones, the
 * cursor's TTL (ms), the group caps, the servers kept per exception, then one JSON per bucket:
 * `{"at": PEXPIREAT, "slow": [[kind, name, count, sum, max]…], "exc": [[fp, count, type, message, last_seen, [servers]]…]}`.
 * Returns `{applied (0|1), slow entries folded, exceptions folded}`.
 */
const APPLY = `
local cur = redis.call('HMGET', KEYS[1], 'slow', 'errors')
if (cur[1] or '') ~= ARGV[1] or (cur[2] or '') ~= ARGV[2] then return {0, 0, 0} end
local maxSlow, maxExc, maxServers = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local foldedSlow, foldedExc = 0, 0
local function admit(key, field, groupsField, otherField, max, count)
  if redis.call('HEXISTS', key, field) == 1 then return true end
  if tonumber(redis.call('HGET', key, groupsField) or '0') >= max then
    redis.call('HINCRBY', key, otherField, count)
    return false
  end
  redis.call('HINCRBY', key, groupsField, 1)
  return true
end
for i = 2, #KEYS do
  local key = KEYS[i]
  local b = cjson.decode(ARGV[7 + i])
  for _, g in ipairs(b.slow) do
    local field = '${SLOW_FIELD_PREFIX}' .. g[1] .. ':' .. g[2]
    if admit(key, field, '${SLOW_GROUPS_FIELD}', '${SLOW_OTHER_FIELD}', maxSlow, g[3]) then
      local old = redis.call('HGET', key, field)
      if old then
        local o = cjson.decode(old)
        redis.call('HSET', key, field, cjson.encode({o[1] + g[3], o[2] + g[4], math.max(o[3], g[5])}))
      else
        redis.call('HSET', key, field, cjson.encode({g[3], g[4], g[5]}))
      end
    else
      foldedSlow = foldedSlow + g[3]
    end
  end
  for _, g in ipairs(b.exc) do
    local field = '${EXCEPTION_FIELD_PREFIX}' .. g[1]
    if admit(key, field, '${EXCEPTION_GROUPS_FIELD}', '${EXCEPTION_OTHER_FIELD}', maxExc, g[2]) then
      local old = redis.call('HGET', key, field)
      local v
      if old then
        v = cjson.decode(old)
        v.count = v.count + g[2]
        if g[5] >= v.last_seen then v.type = g[3]; v.message = g[4]; v.last_seen = g[5] end
        if type(v.servers) ~= 'table' then v.servers = {} end
        for _, s in ipairs(g[6]) do
          local known = false
          for _, t in ipairs(v.servers) do if t == s then known = true; break end end
          if not known and #v.servers < maxServers then v.servers[#v.servers + 1] = s end
        end
      else
        v = {count = g[2], type = g[3], message = g[4], last_seen = g[5], servers = g[6]}
      end
      redis.call('HSET', key, field, cjson.encode(v))
    else
      foldedExc = foldedExc + g[2]
    end
  end
  redis.call('PEXPIREAT', key, b.at)
end
redis.call('HSET', KEYS[1], 'slow', ARGV[3], 'errors', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {1, foldedSlow, foldedExc}
`;

const COMMAND = 'pulseHistoryApply';

type ApplyReply = [applied: number, foldedSlow: number, foldedExceptions: number];

type WithApply = {
  [COMMAND](numberOfKeys: number, ...args: (string | number)[]): Promise<ApplyReply>;
};

const defined = new WeakSet<object>();

function command(client: Redis | Cluster): WithApply {
  // ioredis sends EVALSHA and falls back to EVAL once when the script is not cached (after a restart, a failover).
  if (!defined.has(client)) {
    client.defineCommand(COMMAND, { lua: APPLY });
    defined.add(client);
  }
  return client as unknown as WithApply;
}

export interface CursorMove {
  /** The cursors read ('' where there was none), and the new ones. */
  expected: Cursors;
  next: Cursors;
  ttlMs: number;
}

/** An app's cursors as stored ('' where there is none). */
export interface Cursors {
  slow: string;
  errors: string;
}

export interface ApplyResult {
  applied: boolean;
  foldedSlow: number;
  foldedExceptions: number;
}

/**
 * Runs the script for one app's pass, in `pipeline` with the other apps' commands when given. Rejects with Redis's
 * answer when scripts are refused (see refusals.ts).
 */
export async function applyPass(
  client: Redis | Cluster,
  app: string,
  buckets: readonly BucketDelta[],
  move: CursorMove,
  caps: { slowGroups: number; exceptionGroups: number },
  pipeline?: PassPipeline,
): Promise<ApplyResult> {
  const keys = [historyCursorKey(app), ...buckets.map((b) => b.key)];
  const args = [
    move.expected.slow,
    move.expected.errors,
    move.next.slow,
    move.next.errors,
    move.ttlMs,
    caps.slowGroups,
    caps.exceptionGroups,
    MAX_EXCEPTION_SERVERS,
    ...buckets.map((b) => JSON.stringify({ at: b.expireAt, slow: [...b.slow.values()], exc: [...b.exceptions.values()] })),
  ];
  // Defined on the client before any pipeline that sends it is made: a pipeline takes the client's scripts when made.
  const direct = command(client);
  const [applied, foldedSlow, foldedExceptions] = pipeline
    ? await pipeline.send<ApplyReply>(
        (commands: ChainableCommander) => (commands as unknown as WithApply)[COMMAND](keys.length, ...keys, ...args),
        () => direct[COMMAND](keys.length, ...keys, ...args),
      )
    : await direct[COMMAND](keys.length, ...keys, ...args);
  return { applied: applied === 1, foldedSlow, foldedExceptions };
}
