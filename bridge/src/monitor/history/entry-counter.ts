import {
  ERRORS_WINDOW_MS,
  HISTORY_APPS_KEY,
  HISTORY_PERIOD_MS,
  type HistoryPeriod,
  historyCursorKey,
  parseErrorMember,
  parseSlowStreamFields,
  SLOW_REPEAT_WINDOW_MS,
  type SlowEntry,
  slowEntryIdentity,
} from '@gravito/pulse-protocol';
import type { Logger } from 'pino';
import { commandRefusal } from '../../redis/command-refusal.js';
import type { RedisHandle } from '../../redis/connection.js';
import { mapLimited } from '../../redis/read.js';
import { noteReadRefusal, REFUSAL_STANDS_MS, readRefusal } from '../../redis/refusals.js';
import { TransactionLanes } from '../../redis/transaction-lanes.js';
import { RepeatFilter } from '../repeat-filter.js';
import { streamIdMillis } from '../tailers.js';
import { applyPass, type Cursors } from './apply-script.js';
import { BucketDeltas } from './bucket-deltas.js';
import { readErrorsAfter, readSlowAfter, STREAM_START } from './feed-reads.js';
import type { HistoryCounts } from './history-counts.js';
import type { HistoryOptions } from './history-options.js';
import type { ParsedSlowEntries } from './parsed-slow-entries.js';
import { PassPipeline } from './pass-pipeline.js';
import { applyPassWatched } from './watched-apply.js';

function parsedOrUndefined(fields: string[]): SlowEntry | undefined {
  const parsed = parseSlowStreamFields(fields);
  return parsed.ok ? parsed.value : undefined;
}

/** What Redis refusing the counting pass's ways of writing means, said once each. */
const REFUSALS = {
  script_refused:
    'redis refuses scripts: history counts slow entries and exceptions with WATCH and MULTI/EXEC instead (four round trips per app and pass, not two)',
  transactions_refused:
    'redis refuses scripts and transactions: history does not count slow entries and exceptions (it needs a compare-and-set per pass; asked again every 5 minutes); server and queue series are still written',
  commands_refused:
    'redis refuses a command the counting pass needs (its reads of the slow and error feeds, or HMGET, HSET, PEXPIREAT or PEXPIRE on pulse:history:* keys): history does not count slow entries and exceptions (asked again every 5 minutes)',
} as const;

/** The commands of a compare-and-set without a script: refusing any of them is refusing transactions. */
const TRANSACTION_COMMANDS = new Set(['WATCH', 'UNWATCH', 'MULTI', 'EXEC', 'DISCARD']);

/** Slow-entry identities remembered per app to drop a writer's repeats, as the live feed does. */
const MAX_REMEMBERED_IDENTITIES = 1_000;

/**
 * Counts each app's slow entries and exceptions into its buckets exactly once, from a cursor kept in Redis beside
 * the buckets: read the cursor, read the entries after it (bounded), add them up, then apply the sums and move
 * the cursor in one compare-and-set script (apply-script.ts). A bridge that restarts goes on from the cursor; two
 * bridges on one Redis race, and the loser's pass is refused and read again. Where Redis refuses scripts, the same
 * compare-and-set runs as WATCH and MULTI/EXEC (watched-apply.ts), said once in the log and in `script_refused`;
 * where it refuses those too, counting is off, said once and in `transactions_refused`; and where it refuses a
 * command the pass needs (reading the feeds, or reading and writing the buckets), also off, said once and in `commands_refused` (never half a
 * pass written: the script checks every write is allowed before it makes one, and a transaction is all or nothing).
 * Off for as long as a refusal stands (`REFUSAL_STANDS_MS`, scaled as the periods are), then asked again: a grant
 * meanwhile is followed without a restart, and the entries written while it was off count then, once, from the
 * cursors (those the feeds no longer hold count as gaps).
 */
export class EntryCounter {
  private readonly repeats = new Map<string, RepeatFilter>();
  /** The refusals said so far (once each). */
  private readonly refusalsSaid = new Set<keyof typeof REFUSALS>();
  /** Until when counting is off (the history's clock): Redis refused transactions, or a command the pass needs. */
  private offUntil = Number.NEGATIVE_INFINITY;
  private readonly commands: PassPipeline;
  /** Connections of their own for the transactions, opened only where Redis refuses scripts. */
  private readonly lanes: TransactionLanes;
  /**
   * Each app's cursors as this bridge's last pass left them: the next pass reads from them without reading the
   * cursor first. The script still compares them with Redis's, so a stale one (a Redis that lost it) costs one
   * refused pass, never a double count. Dropped after a failed pass and whenever a gap is seen from them, so that
   * those are judged against the cursor read from Redis.
   */
  private readonly cursors = new Map<string, Cursors>();
  /**
   * Apps whose script was refused: another bridge counts them too, so the cursor moves under this one's feet and is
   * read before each pass (a remembered one would be refused every other pass).
   */
  private readonly contested = new Set<string>();

  constructor(
    private readonly redis: RedisHandle,
    private readonly options: HistoryOptions,
    private readonly periods: readonly HistoryPeriod[],
    private readonly counts: HistoryCounts,
    private readonly log: Logger,
    private readonly parsed: ParsedSlowEntries,
  ) {
    this.commands = new PassPipeline(redis);
    this.lanes = new TransactionLanes(redis, 'pulse-bridge-history');
  }

  /**
   * One pass over each app, `concurrency` at once, then one write that lists the apps that counted anything in
   * the index (at once, not only when their first series bucket closes: the index is trimmed by the series writes).
   * Never throws.
   */
  async countApps(apps: readonly string[], now: number, concurrency: number): Promise<void> {
    const counted = await mapLimited(apps, concurrency, (app) => this.countApp(app, now));
    const listed = apps.filter((_, i) => counted[i]);
    if (listed.length === 0) return;
    await this.redis.client.zadd(HISTORY_APPS_KEY, ...listed.flatMap((app) => [now, app])).catch(() => this.counts.add('writes_failed'));
  }

  /** One pass over one app: whether it counted anything. Never throws (a failed pass moves nothing and is read again next time). */
  private async countApp(app: string, now: number): Promise<boolean> {
    if (now < this.offUntil) return false;
    // Learned by whichever script ran first on this connection (the monitor's bounded read, most often).
    const refusal = readRefusal(this.redis, 'scripts');
    if (refusal !== undefined) this.noteRefusal('script_refused', refusal);
    const watched = refusal !== undefined;
    try {
      return await this.pass(app, now, watched);
    } catch (err) {
      this.cursors.delete(app);
      const refusal = commandRefusal(err);
      if (!watched && noteReadRefusal(this.redis, 'scripts', err)) this.noteRefusal('script_refused', (err as Error).message);
      // Passes of other apps in flight meanwhile may be refused too: said once all the same.
      else if (refusal !== undefined) {
        this.offUntil = now + REFUSAL_STANDS_MS / this.options.timeScale;
        this.noteRefusal(
          watched && TRANSACTION_COMMANDS.has(refusal.command) ? 'transactions_refused' : 'commands_refused',
          refusal.message,
        );
      } else this.counts.add('passes_failed');
      return false;
    }
  }

  /** Closes the transactions' connections, if any were opened. */
  close(): void {
    this.lanes.close();
  }

  /** Forgets the apps no longer followed. */
  retain(apps: ReadonlySet<string>): void {
    for (const app of this.repeats.keys()) if (!apps.has(app)) this.repeats.delete(app);
    for (const app of this.cursors.keys()) if (!apps.has(app)) this.cursors.delete(app);
    for (const app of this.contested) if (!apps.has(app)) this.contested.delete(app);
  }

  private async pass(app: string, now: number, watched: boolean): Promise<boolean> {
    const remembered = this.cursors.get(app);
    const expected = remembered ?? (await this.readCursors(app));
    const fromSlow = expected.slow === '' ? STREAM_START : expected.slow;
    const fromErrors = expected.errors === '' ? Number.NEGATIVE_INFINITY : Number(expected.errors);
    const bound = now - this.options.settleMs;
    const [slow, errors] = await Promise.all([
      readSlowAfter(this.commands, app, fromSlow),
      bound > fromErrors ? readErrorsAfter(this.commands, app, fromErrors, bound, now) : undefined,
    ]);
    // With nothing new, the errors cursor is left where it is (no write) until it is half the writers' window old:
    // an empty score range costs a read nothing, and a stale cursor would look like an outage to the gap check.
    const idle = slow.entries.length === 0 && (errors?.members.length ?? 0) === 0;
    if (remembered && (slow.gap || errors?.gap)) {
      // Judged again from the cursor in Redis: a remembered one may lag it, and the gap be another bridge's read.
      this.cursors.delete(app);
      return false;
    }
    if (idle && !(fromErrors < now - ERRORS_WINDOW_MS / 2 && errors)) {
      this.noteGaps(slow.gap, errors?.gap ?? false, errors?.leftOut ?? 0);
      return false;
    }
    const deltas = new BucketDeltas(app, this.periods, this.options.timeScale, now);
    let slowCounted = 0;
    const repeats = this.repeatsOf(app);
    // Remembered as counted only once the script has applied them: after a refused pass (another bridge moved the
    // cursor first, perhaps not as far), the next pass must count again what this one read past that cursor.
    const counted = new Map<string, number>();
    for (const [id, fields] of slow.entries) {
      const at = Math.min(streamIdMillis(id), now);
      const entry = this.parsed.get(app, id) ?? parsedOrUndefined(fields);
      // Invalid entries are counted and logged by the live feed; the cursor moves past them all the same.
      if (!entry) continue;
      const identity = slowEntryIdentity(entry);
      const countedAt = counted.get(identity);
      if ((countedAt !== undefined && countedAt >= at - SLOW_REPEAT_WINDOW_MS) || repeats.has(identity, at)) continue;
      counted.set(identity, at);
      deltas.addSlow(entry, at);
      slowCounted++;
    }
    let exceptionsCounted = 0;
    for (const { member, score } of errors?.members ?? []) {
      const parsed = parseErrorMember(member);
      if (!parsed.ok) continue;
      deltas.addException(parsed.value, Math.min(score, now));
      exceptionsCounted++;
    }
    const lastSlow = slow.entries[slow.entries.length - 1]?.[0] ?? fromSlow;
    const nextErrors = errors ? Math.max(errors.cursor, fromErrors) : fromErrors;
    const next: Cursors = { slow: lastSlow, errors: Number.isFinite(nextErrors) ? String(nextErrors) : '' };
    const buckets = [...deltas.values()];
    const move = {
      expected,
      next,
      // The cursor outlives the longest period, so that an idle app's stream is not counted again.
      ttlMs: Math.ceil((2 * HISTORY_PERIOD_MS['7d']) / this.options.timeScale),
    };
    const caps = { slowGroups: this.options.maxSlowGroups, exceptionGroups: this.options.maxExceptionGroups };
    const result = watched
      ? await applyPassWatched(this.lanes, app, buckets, move, caps)
      : await applyPass(this.redis.client, app, buckets, move, caps, this.commands);
    if (!result.applied) {
      this.cursors.delete(app);
      this.contested.add(app);
      this.counts.add('cursor_conflicts');
      return false;
    }
    for (const [identity, at] of counted) repeats.remember(identity, at);
    if (!this.contested.has(app)) this.cursors.set(app, next);
    this.noteGaps(slow.gap, errors?.gap ?? false, errors?.leftOut ?? 0);
    this.counts.add('slow_counted', slowCounted);
    this.counts.add('exceptions_counted', exceptionsCounted);
    this.counts.add('slow_folded', result.foldedSlow);
    this.counts.add('exceptions_folded', result.foldedExceptions);
    return slowCounted + exceptionsCounted > 0;
  }

  private async readCursors(app: string): Promise<Cursors> {
    const [slow, errors] = await this.commands.call<[string | null, string | null]>('HMGET', historyCursorKey(app), 'slow', 'errors');
    return { slow: slow ?? '', errors: errors ?? '' };
  }

  private noteGaps(slowGap: boolean, exceptionGap: boolean, leftOut: number): void {
    if (slowGap) this.counts.add('slow_gaps');
    if (exceptionGap) this.counts.add('exception_gaps');
    this.counts.add('exceptions_left_out', leftOut);
  }

  private repeatsOf(app: string): RepeatFilter {
    let filter = this.repeats.get(app);
    if (!filter) {
      filter = new RepeatFilter(SLOW_REPEAT_WINDOW_MS, MAX_REMEMBERED_IDENTITIES);
      this.repeats.set(app, filter);
    }
    return filter;
  }

  /** Says a refusal once: in the log, and in its event. */
  private noteRefusal(event: keyof typeof REFUSALS, refusal: string): void {
    if (this.refusalsSaid.has(event)) return;
    this.refusalsSaid.add(event);
    this.counts.add(event);
    this.log.warn({ err: refusal }, REFUSALS[event]);
  }
}
