/**
 * Redis refusing a command for what it is rather than for what it was asked: an ACL that does not grant it
 * (`NOPERM this user has no permissions to run the 'scan' command`), a key pattern the ACL does not cover
 * (`NOPERM … to access one of the keys`), or a command renamed or disabled (`rename-command SCAN ""` answers
 * `ERR unknown command 'scan'`). Such a refusal is a setting: it comes back at every try until someone changes it.
 */
export interface CommandRefusal {
  /** The refused command in upper case, or `keys` when the ACL refused the keys rather than the command. */
  command: string;
  message: string;
}

/** Redis's error replies for a state that passes: a script running, a dataset loading, a failover or resharding under way. */
const PASSING_STATE = /^(BUSY|LOADING|MASTERDOWN|TRYAGAIN|CLUSTERDOWN)\b/;

/**
 * Whether `err` is the server declining what was asked, whatever its words (`NOPERM …`, `ERR unknown command …`, a
 * Redis-compatible server's own for what it does not do): an error reply, which comes back at every try, as opposed
 * to a connection that failed, a command that timed out, or a state that passes. ioredis names every error reply
 * `ReplyError`; its own failures are plain errors.
 */
export function isDecline(err: unknown): boolean {
  return err instanceof Error && err.name === 'ReplyError' && !PASSING_STATE.test(err.message);
}

/** Whether `err` is a command or a connect that timed out (ioredis's `Command timed out`, `connect ETIMEDOUT`). */
export function isTimeout(err: unknown): boolean {
  return err instanceof Error && /timed ?out/i.test(err.message);
}

export function commandRefusal(err: unknown): CommandRefusal | undefined {
  const message = err instanceof Error ? err.message : '';
  const unknown = /^ERR unknown command '([^']+)'/i.exec(message);
  if (unknown) return { command: (unknown[1] as string).toUpperCase(), message };
  if (!/^NOPERM\b/.test(message)) return undefined;
  const command = /'([^']+)' command/.exec(message)?.[1];
  return { command: command ? command.toUpperCase() : 'keys', message };
}
