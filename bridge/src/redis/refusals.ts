import { commandRefusal } from './command-refusal.js';
import type { RedisHandle } from './connection.js';

/**
 * The ways of reading Redis can refuse on a connection, each learned so that its readers take another way instead
 * of being refused at every poll; tried again after `REFUSAL_STANDS_MS`, and once the connection closed:
 * - `scripts`: an ACL without `@scripting`, or `EVAL` renamed or disabled. Learned by whichever script runs first
 *   (the bounded read, the Zenith mirror, the history counter).
 * - `pipelined`: the plain `GETRANGE` and `PTTL` of the pipelined read, not granted or renamed.
 */
export type RefusedRead = 'scripts' | 'pipelined';

/**
 * How long a refusal stands before its way is tried again: an ACL granted meanwhile is followed without a restart
 * of the bridge, and a try refused again costs one command (its reader then takes the other way, in the same read).
 */
export const REFUSAL_STANDS_MS = 5 * 60_000;

/** Per client, the reads Redis refused on it: its answer, and when (`Date.now()`). */
const refused = new WeakMap<object, Partial<Record<RefusedRead, { message: string; at: number }>>>();

/** Why Redis refused this way of reading on this connection, if it did and that still stands. */
export function readRefusal(redis: RedisHandle, read: RefusedRead): string | undefined {
  const refusal = refused.get(redis.client)?.[read];
  return refusal !== undefined && Date.now() - refusal.at < REFUSAL_STANDS_MS ? refusal.message : undefined;
}

/**
 * Records `err` when it is Redis refusing this way of reading (for scripts: `EVAL` or `EVALSHA` itself; for the
 * pipelined read, any of its commands or keys), as opposed to a read that failed or a connection that did; says
 * whether it was.
 */
export function noteReadRefusal(redis: RedisHandle, read: RefusedRead, err: unknown): boolean {
  const refusal = commandRefusal(err);
  const isRefusal = read === 'scripts' ? refusal?.command === 'EVAL' || refusal?.command === 'EVALSHA' : refusal !== undefined;
  if (!isRefusal) return false;
  const known = refused.get(redis.client);
  // What the next connection may do is asked anew: Redis may come back (restarted, failed over) with other ACLs.
  if (known === undefined) redis.client.once('close', () => refused.delete(redis.client));
  refused.set(redis.client, { ...known, [read]: { message: refusal?.message ?? '', at: Date.now() } });
  return true;
}
