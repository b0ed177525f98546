import { historyCursorKey } from '@gravito/pulse-protocol';
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import type { BucketDelta } from './bucket-deltas.js';
import { type BucketWrites, fieldsToRead, foldBucket, type GroupCaps } from './pass-fold.js';
import type { PassPipeline } from './pass-pipeline.js';

/**
 * Writes a counting pass, folded by the bridge (pass-fold.ts) into the buckets as it read them, and moves the app's
 * cursor, in one script, only if the cursor is still the one the pass read from (compare-and-set). The buckets'
 * counts change only with the cursor, in such a script (or its transaction, watched-apply.ts), so a pass that
 * raced another bridge's, whose reads of the buckets may be stale, finds the cursor moved and writes nothing: it
 * reads again from the cursor the other one left, and no entry is added twice. The cursor and the buckets share the
 * app's hash tag, hence one slot: a Cluster failover keeps or loses them together.
 *
 * KEYS: the cursor, then each bucket. ARGV: the expected slow and errors cursors ('' for none), the new ones, the
 * cursor's TTL (ms), then per bucket: its PEXPIREAT, the number of fields set, field, value… Returns 1 when applied,
 * 0 when refused.
 */
const APPLY = `
local cur = redis.call('HMGET', KEYS[1], 'slow', 'errors')
if (cur[1] or '') ~= ARGV[1] or (cur[2] or '') ~= ARGV[2] then return 0 end
-- Every write allowed before any is made: an ACL that refused one midway would leave some buckets written and the
-- cursor unmoved, and the next pass would count the same entries again. Each key's time to live is set first (a
-- key not there yet is given it again once written), with pcall, so that an ACL without PEXPIREAT or PEXPIRE
-- refuses before any HSET, on any Redis; HSET is checked where Redis can tell (redis.acl_check_cmd, Redis 7+).
local function refusal(command, key)
  return redis.error_reply("NOPERM this user has no permissions to run the '" .. command .. "' command on " .. key)
end
-- Per key, its time to live; per bucket, where its fields start in ARGV and how many it sets.
local expiry = { { 'PEXPIRE', ARGV[5] } }
local fieldsAt, sets = {}, {}
local at = 6
for i = 2, #KEYS do
  expiry[i] = { 'PEXPIREAT', ARGV[at] }
  sets[i] = tonumber(ARGV[at + 1])
  fieldsAt[i] = at + 2
  at = fieldsAt[i] + 2 * sets[i]
end
local existed = {}
for i = 1, #KEYS do
  if redis.acl_check_cmd and not redis.acl_check_cmd('HSET', KEYS[i], 'field', 'value') then return refusal('hset', KEYS[i]) end
  local set = redis.pcall(expiry[i][1], KEYS[i], expiry[i][2])
  if type(set) == 'table' and set.err then
    -- Redis 7 says "can't run this command"; an older one, NOPERM or "no permissions". Another error (OOM) is
    -- returned as it is: nothing is written yet, and the pass is tried again.
    local err = set.err
    if err:find('NOPERM', 1, true) or err:find("can't run this command", 1, true) or err:find('no permissions', 1, true) then
      return refusal(expiry[i][1]:lower(), KEYS[i])
    end
    return set
  end
  existed[i] = set == 1
end
for i = 2, #KEYS do
  local key, from = KEYS[i], fieldsAt[i]
  -- In slices: a Lua call takes a bounded number of arguments.
  local first = 0
  while first < sets[i] do
    local last = math.min(first + 100, sets[i])
    local args = {}
    for f = first, last - 1 do
      args[#args + 1] = ARGV[from + 2 * f]
      args[#args + 1] = ARGV[from + 2 * f + 1]
    end
    redis.call('HSET', key, unpack(args))
    first = last
  end
  if not existed[i] then redis.call('PEXPIREAT', key, expiry[i][2]) end
end
redis.call('HSET', KEYS[1], 'slow', ARGV[3], 'errors', ARGV[4])
if not existed[1] then redis.call('PEXPIRE', KEYS[1], ARGV[5]) end
return 1
`;

const COMMAND = 'pulseHistoryApply';

type WithApply = {
  [COMMAND](numberOfKeys: number, ...args: (string | number)[]): Promise<number>;
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

/** A pass's folds of every bucket, added up. */
export function applyResult(applied: boolean, folds: readonly BucketWrites[]): ApplyResult {
  const result = { applied, foldedSlow: 0, foldedExceptions: 0 };
  if (!applied) return result;
  for (const fold of folds) {
    result.foldedSlow += fold.foldedSlow;
    result.foldedExceptions += fold.foldedExceptions;
  }
  return result;
}

/**
 * Reads the fields the pass adds to, folds the pass into them and runs the script, each command in `pipeline` with
 * the other apps' when given. Rejects with Redis's answer when scripts are refused (see refusals.ts).
 */
export async function applyPass(
  client: Redis | Cluster,
  app: string,
  buckets: readonly BucketDelta[],
  move: CursorMove,
  caps: GroupCaps,
  pipeline?: PassPipeline,
): Promise<ApplyResult> {
  const read = (bucket: BucketDelta) => {
    const fields = fieldsToRead(bucket);
    return pipeline
      ? pipeline.send<(string | null)[]>(
          (commands) => commands.hmget(bucket.key, ...fields),
          () => client.hmget(bucket.key, ...fields),
        )
      : client.hmget(bucket.key, ...fields);
  };
  const stored = await Promise.all(buckets.map(read));
  const folds = buckets.map((bucket, i) => foldBucket(bucket, stored[i] as (string | null)[], caps));
  const keys = [historyCursorKey(app), ...buckets.map((b) => b.key)];
  const args: (string | number)[] = [move.expected.slow, move.expected.errors, move.next.slow, move.next.errors, move.ttlMs];
  buckets.forEach((bucket, i) => {
    const { set } = folds[i] as BucketWrites;
    args.push(bucket.expireAt, set.length / 2, ...set);
  });
  // Defined on the client before any pipeline that sends it is made: a pipeline takes the client's scripts when made.
  const direct = command(client);
  const applied = pipeline
    ? await pipeline.send<number>(
        (commands: ChainableCommander) => (commands as unknown as WithApply)[COMMAND](keys.length, ...keys, ...args),
        () => direct[COMMAND](keys.length, ...keys, ...args),
      )
    : await direct[COMMAND](keys.length, ...keys, ...args);
  return applyResult(applied === 1, folds);
}
