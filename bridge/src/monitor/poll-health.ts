import type { Logger } from 'pino';
import { commandRefusal } from '../redis/command-refusal.js';
import { redisErrorText } from '../redis/error-text.js';

/** The longest failure reason carried in events (the protocol's bound). */
const MAX_ERROR_CHARS = 512;
/** Distinct refused commands named in the log; a handful exist, the cap only bounds the set. */
const MAX_REFUSALS_LOGGED = 64;

/** What an event says about the freshness of its state while polls fail; nothing while they succeed. */
export interface PollFailureFields {
  poll_ok?: false;
  poll_error?: string;
  data_age_ms?: number;
}

/**
 * Whether the bridge's polls succeed: what its readiness and every "this state is current" follow. Redis
 * answering PING is not enough: an ACL without `SCAN`, a renamed command, a cluster in `cluster_state:fail`
 * (whose nodes still answer PING) or reads past their deadline make every poll fail while PING succeeds, and
 * the last state, served on, grows old. So the age of the data is kept, from the last poll that succeeded.
 *
 * Logged once per streak of failures; a command Redis refuses (ACL `NOPERM`, `rename-command`) is named once,
 * as the setting it is.
 */
export class PollHealth {
  /** Polls that failed while Redis answered PING (the last state kept). */
  failedWhileRedisUp = 0;
  /** When the last poll that succeeded started: the time of the state served. */
  private okAt: number | undefined;
  /** Why the last poll failed; undefined once one succeeds. */
  private error: string | undefined = 'no poll yet';
  private streak = false;
  private readonly refusalsLogged = new Set<string>();

  constructor(private readonly log: Logger) {}

  /** The last poll succeeded. */
  get ok(): boolean {
    return this.error === undefined;
  }

  /** When the state served was read (epoch ms); undefined before the first poll that succeeded. */
  get polledAt(): number | undefined {
    return this.okAt;
  }

  /** The age of the state served at `now`, ms; undefined (unknown) before the first poll that succeeded. */
  ageAt(now: number): number | undefined {
    return this.okAt === undefined ? undefined : Math.max(0, now - this.okAt);
  }

  /** A poll that started at `startedAt` read Redis; says whether that ends a failure (the status changed). */
  succeeded(startedAt: number): boolean {
    const changed = this.error !== undefined;
    this.error = undefined;
    this.okAt = startedAt;
    this.streak = false;
    return changed;
  }

  /**
   * A poll failed; `redisUp` says whether Redis answered PING meanwhile (a poll failing against a Redis that is
   * down is that outage, logged as such elsewhere). Says whether this starts a failure (the status changed).
   */
  failed(err: unknown, redisUp: boolean): boolean {
    const message = redisErrorText(err);
    this.error = message.slice(0, MAX_ERROR_CHARS);
    const starts = !this.streak;
    this.streak = true;
    if (!redisUp) return starts;
    this.failedWhileRedisUp++;
    const refusal = commandRefusal(err);
    if (refusal && !this.refusalsLogged.has(refusal.command) && this.refusalsLogged.size < MAX_REFUSALS_LOGGED) {
      this.refusalsLogged.add(refusal.command);
      this.log.error(
        { command: refusal.command, err: refusal.message },
        `redis refuses ${refusal.command === 'keys' ? 'the keys' : `the ${refusal.command} command`} the bridge needs (ACL or rename-command): every poll fails until it is allowed; the state served grows old and /readyz answers 503`,
      );
    } else if (starts) {
      this.log.warn(
        { err: message },
        'poll failed while Redis answers PING: last state kept, flagged poll_ok false (further failures in a row are only counted)',
      );
    }
    return starts;
  }

  /** The fields that flag an event's state as not current: none while polls succeed. */
  failureFields(now: number): PollFailureFields {
    if (this.error === undefined) return {};
    const age = this.ageAt(now);
    return { poll_ok: false, poll_error: this.error, ...(age === undefined ? {} : { data_age_ms: age }) };
  }
}
