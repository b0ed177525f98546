import { commandRefusal } from './command-refusal.js';
import type { RedisHandle } from './connection.js';

/**
 * Clients on which Redis refused a script, with its answer: an ACL without `@scripting`, or `EVAL` renamed or
 * disabled. Learned once per connection by whichever script runs first (the bounded read, the Zenith mirror), so
 * that each of them takes its path without scripts from then on instead of being refused at every poll.
 */
const refusedScripts = new WeakMap<object, string>();

/** Why Redis refused scripts on this connection, if it did. */
export function scriptRefusal(redis: RedisHandle): string | undefined {
  return refusedScripts.get(redis.client);
}

/**
 * Records `err` when it is Redis refusing scripts, as opposed to a script that failed or a connection that did;
 * says whether it was.
 */
export function noteScriptRefusal(redis: RedisHandle, err: unknown): boolean {
  const refusal = commandRefusal(err);
  const refused = refusal?.command === 'EVAL' || refusal?.command === 'EVALSHA';
  if (refused) refusedScripts.set(redis.client, refusal.message);
  return refused;
}
