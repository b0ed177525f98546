import { commandRefusal } from './command-refusal.js';
import type { RedisHandle } from './connection.js';

/**
 * The ways of reading Redis can refuse on a connection, each learned once so that its readers take another way
 * from then on instead of being refused at every poll:
 * - `scripts`: an ACL without `@scripting`, or `EVAL` renamed or disabled. Learned by whichever script runs first
 *   (the bounded read, the Zenith mirror, the history counter).
 * - `pipelined`: the plain `GETRANGE` and `PTTL` of the pipelined read, not granted or renamed.
 */
export type RefusedRead = 'scripts' | 'pipelined';

/** Per client, the reads Redis refused on it, with its answer. */
const refused = new WeakMap<object, Partial<Record<RefusedRead, string>>>();

/** Why Redis refused this way of reading on this connection, if it did. */
export function readRefusal(redis: RedisHandle, read: RefusedRead): string | undefined {
  return refused.get(redis.client)?.[read];
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
  refused.set(redis.client, { ...refused.get(redis.client), [read]: refusal?.message });
  return true;
}
