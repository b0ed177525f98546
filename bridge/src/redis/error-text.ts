/**
 * ioredis's words for what happened to a command, where they name its own options rather than the cause: said in
 * the operator's terms wherever a Redis error is shown (a 503's detail, `poll_error`, a log line). Any other message
 * is Redis's or the socket's own, and stands as it is.
 */
const PLAIN: readonly [RegExp, string][] = [
  // maxRetriesPerRequest: 0 fails a command whose connection closed under it (a frozen Redis's socket timing out).
  [/^Reached the max retries per request limit/, 'the connection to Redis closed before it answered'],
  // enableOfflineQueue: false refuses a command while no connection is open.
  [/^Stream isn't writeable and enableOfflineQueue options is false/, 'Redis not connected'],
];

/** The message of a Redis command's failure, as an operator reads it. */
export function redisErrorText(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  for (const [pattern, plain] of PLAIN) if (pattern.test(message)) return plain;
  return message;
}
