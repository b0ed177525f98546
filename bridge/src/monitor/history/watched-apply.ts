import { historyCursorKey } from '@gravito/pulse-protocol';
import type { TransactionLanes } from '../../redis/transaction-lanes.js';
import { type ApplyResult, applyResult, type CursorMove } from './apply-script.js';
import type { BucketDelta } from './bucket-deltas.js';
import { fieldsToRead, foldBucket, type GroupCaps } from './pass-fold.js';

type Reply = [error: Error | null, result: unknown];

/** The first command error among a pipeline's or a transaction's replies. */
function firstError(replies: readonly Reply[]): Error | undefined {
  return replies.find(([error]) => error !== null)?.[0] ?? undefined;
}

/**
 * The apply script's compare-and-set (apply-script.ts) where Redis refuses scripts: WATCH the cursor, read it and
 * the fields the pass adds to, fold the pass into them (pass-fold.ts), and write it all in one MULTI … EXEC, which
 * Redis runs only if the cursor did not change since the WATCH. A pass that raced another bridge's is refused, as
 * the script refuses it: nothing is added twice. Only the cursor is watched: the buckets' counts change only with
 * it, while their health field is written on its own at every bucket close, which would refuse passes for nothing.
 * On a connection of its own (`lanes`).
 */
export async function applyPassWatched(
  lanes: TransactionLanes,
  app: string,
  buckets: readonly BucketDelta[],
  move: CursorMove,
  caps: GroupCaps,
): Promise<ApplyResult> {
  const cursorKey = historyCursorKey(app);
  const refused = applyResult(false, []);
  return lanes.run(cursorKey, async (lane) => {
    const { connection } = lane;
    const mark = lane.mark();
    await connection.watch(cursorKey);
    let queuing = false;
    try {
      const reads = connection.pipeline().hmget(cursorKey, 'slow', 'errors');
      for (const bucket of buckets) reads.hmget(bucket.key, ...fieldsToRead(bucket));
      const replies = ((await reads.exec()) ?? []) as Reply[];
      const failed = firstError(replies);
      if (failed) throw failed;
      const [slow, errors] = (replies[0]?.[1] ?? []) as (string | null)[];
      if ((slow ?? '') !== move.expected.slow || (errors ?? '') !== move.expected.errors) {
        await connection.unwatch();
        return refused;
      }
      // MULTI on its own, answered before any write is sent: were it refused (an ACL that grants WATCH but not
      // MULTI), writes sent with it would run at once, unconditionally.
      await connection.multi({ pipeline: false });
      queuing = true;
      // A connection that closed since the WATCH came back without it, and without this MULTI.
      if (!lane.intact(mark)) throw new Error('the transaction connection closed after its WATCH');
      const folds = buckets.map((bucket, i) => foldBucket(bucket, replies[i + 1]?.[1] as (string | null)[], caps));
      // Each answers QUEUED; a command refused here makes Redis discard the whole transaction at EXEC.
      const queued: Promise<unknown>[] = [];
      buckets.forEach((bucket, i) => {
        const { set } = folds[i] as (typeof folds)[number];
        if (set.length > 0) queued.push(connection.hset(bucket.key, ...set));
        queued.push(connection.pexpireat(bucket.key, bucket.expireAt));
      });
      queued.push(
        connection.hset(cursorKey, 'slow', move.next.slow, 'errors', move.next.errors),
        connection.pexpire(cursorKey, move.ttlMs),
      );
      for (const reply of queued) reply.catch(() => {});
      const applied = (await connection.exec().catch(async (err: unknown) => {
        // EXECABORT: Redis refused a queued command (an ACL without it), and its own answer says which; every
        // queued command was answered before EXEC was.
        throw (/^EXECABORT/.test((err as Error).message) && (await firstRejection(queued))) || err;
      })) as Reply[] | null;
      queuing = false;
      // Null: a watched key changed (another bridge's pass), and Redis ran none of it.
      if (applied === null) return refused;
      const error = firstError(applied);
      if (error) throw error;
      return applyResult(true, folds);
    } catch (err) {
      // DISCARD ends a MULTI and clears the WATCH; UNWATCH clears the WATCH alone.
      await (queuing ? connection.discard() : connection.unwatch()).catch(() => {});
      throw err;
    }
  });
}

/** The reason of the first of `replies` that was rejected, if any. */
async function firstRejection(replies: readonly Promise<unknown>[]): Promise<unknown> {
  for (const settled of await Promise.allSettled(replies)) if (settled.status === 'rejected') return settled.reason;
  return undefined;
}
