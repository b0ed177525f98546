import type { Logger } from 'pino';

export interface GuessPolicy {
  /** Wrong tokens a client gets answered in a row (typos, a page holding an old token); the last one starts a wait. */
  failuresBeforeWait: number;
  /** The first wait; each further wrong token doubles it. */
  firstWaitMs: number;
  /** The longest wait: a client that keeps guessing gets one answer per this long. */
  maxWaitMs: number;
  /** A client is forgotten this long after its last wrong token (its answered failures start again from 0). */
  forgetAfterMs: number;
  /** Clients tracked at most; while the table is full, clients without an entry share one. */
  maxClients: number;
}

/**
 * Ten answers in a row, then waits of 1, 2, 4 … 60 s between answers: 16 guesses in the first two minutes, then
 * one a minute per client. Ten leaves room for a person's typos and for clients holding an old token.
 */
export const GUESS_POLICY: GuessPolicy = {
  failuresBeforeWait: 10,
  firstWaitMs: 1_000,
  maxWaitMs: 60_000,
  forgetAfterMs: 10 * 60_000,
  maxClients: 10_000,
};

/** A client's failures are logged at its first one, then once a minute at most, with the counts. */
const LOG_EVERY_MS = 60_000;

/** The key of the entry that clients share while the table is full. */
const SHARED_CLIENT = 'other';

/** Whether a wrong token was tracked under the client's own entry or under the shared one (the table was full). */
export type FailureTracking = 'own' | 'shared';

interface Entry {
  failures: number;
  lastFailureAt: number;
  waitUntil: number;
  /** Wrong tokens and refused requests since the last log line. */
  unloggedFailures: number;
  unloggedRefusals: number;
  loggedAt: number;
}

/**
 * Slows token guessing per client: from its `failuresBeforeWait`-th wrong token on, a client must wait, twice as
 * long after each further one up to `maxWaitMs`, and while it waits its requests are refused without looking at
 * the token (so that no answer says whether a guess was right). Only wrong tokens are tracked, in a table capped at `maxClients`
 * whose entries expire `forgetAfterMs` after their last failure (lazily: the table is kept in order of last
 * failure and swept from its oldest end). While the table is full, a client without an entry is judged by one
 * shared entry instead, so that a guesser with many addresses neither grows the table nor escapes the waits.
 */
export class GuessLimiter {
  private readonly clients = new Map<string, Entry>();
  private shared: Entry | undefined;

  constructor(
    private readonly policy: GuessPolicy,
    private readonly log: Logger,
  ) {}

  /** How long a client must still wait before its token is checked, in ms; 0 when it may try (a refusal is noted). */
  admit(client: string): number {
    const now = performance.now();
    const found = this.entryOf(client, now);
    const waitMs = found ? found.entry.waitUntil - now : 0;
    if (!found || waitMs <= 0) return 0;
    found.entry.unloggedRefusals++;
    this.report(found.key, found.entry, now);
    return waitMs;
  }

  /** Notes a wrong token from a client, and makes it wait from its `failuresBeforeWait`-th on. */
  failed(client: string): FailureTracking {
    const now = performance.now();
    const found = this.entryOf(client, now) ?? { key: client, entry: this.newEntry() };
    const { entry, key } = found;
    entry.failures++;
    entry.lastFailureAt = now;
    entry.unloggedFailures++;
    const doublings = entry.failures - this.policy.failuresBeforeWait;
    if (doublings >= 0) entry.waitUntil = now + Math.min(this.policy.firstWaitMs * 2 ** doublings, this.policy.maxWaitMs);
    if (key === SHARED_CLIENT) {
      this.shared = entry;
    } else {
      // Re-inserted, so that the map stays in order of last failure for the sweep.
      this.clients.delete(key);
      this.clients.set(key, entry);
    }
    this.report(key, entry, now);
    return key === SHARED_CLIENT ? 'shared' : 'own';
  }

  /** The entry a client is judged by: its own, else the shared one while the table is full, else none. */
  private entryOf(client: string, now: number): { key: string; entry: Entry } | undefined {
    const own = this.clients.get(client);
    if (own && !this.expired(own, now)) return { key: client, entry: own };
    this.sweep(now);
    if (this.clients.size < this.policy.maxClients) return undefined;
    if (!this.shared || this.expired(this.shared, now)) this.shared = this.newEntry();
    return { key: SHARED_CLIENT, entry: this.shared };
  }

  private sweep(now: number): void {
    for (const [client, entry] of this.clients) {
      if (!this.expired(entry, now)) return;
      this.clients.delete(client);
    }
  }

  private expired(entry: Entry, now: number): boolean {
    return now - entry.lastFailureAt >= this.policy.forgetAfterMs;
  }

  private newEntry(): Entry {
    return {
      failures: 0,
      lastFailureAt: performance.now(),
      waitUntil: 0,
      unloggedFailures: 0,
      unloggedRefusals: 0,
      loggedAt: Number.NEGATIVE_INFINITY,
    };
  }

  /** One line per client a minute at most, carrying the counts since its last line; never the token. */
  private report(client: string, entry: Entry, now: number): void {
    if (now - entry.loggedAt < LOG_EVERY_MS) return;
    this.log.warn(
      {
        client,
        failures: entry.unloggedFailures,
        refused: entry.unloggedRefusals,
        waitMs: Math.max(0, Math.ceil(entry.waitUntil - now)),
      },
      'token check failed (further failures from this client within a minute are only counted)',
    );
    entry.loggedAt = now;
    entry.unloggedFailures = 0;
    entry.unloggedRefusals = 0;
  }
}
