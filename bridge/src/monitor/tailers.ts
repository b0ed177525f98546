import {
  errorsKey,
  type PulseErrorEvent,
  type PulseSlowEvent,
  parseErrorMember,
  parseSlowStreamFields,
  SLOW_REPEAT_WINDOW_MS,
  slowEntryIdentity,
  slowKey,
} from '@gravito/pulse-protocol';
import type { InvalidValues } from '../lib/invalid-values.js';
import { textHash } from '../lib/text-hash.js';
import type { RedisHandle } from '../redis/connection.js';
import type { Caps } from './caps.js';
import type { Clock } from './clock.js';
import type { FeedRead } from './feed-read.js';
import { RateWindow } from './rate-window.js';
import { RepeatFilter } from './repeat-filter.js';

/** Stream entries per XRANGE page: a page of hostile 100 KB entries is ~10 MB in flight, not ~100 MB. */
export const SLOW_PAGE = 100;
/** Most stream entries, and bytes, read per app per tick; the rest follow on the next ticks (nothing is lost). */
export const SLOW_READ_COUNT = 1_000;
export const SLOW_READ_BYTES = 4 * 1024 * 1024;
/**
 * Exceptions are scored by the writer's clock, so one written late (batching, a skewed clock) can land below
 * the highest score already seen. Each tick re-reads this far back and skips the members it has seen.
 */
export const ERROR_LOOKBACK_MS = 60_000;
/** Exception set members per ZRANGEBYSCORE page, and most members and bytes read per app per tick. */
export const ERROR_PAGE = 250;
export const ERROR_READ_MAX = 2_000;
export const ERROR_READ_BYTES = 8 * 1024 * 1024;
const RATE_WINDOW_MS = 300_000;
/**
 * Most slow-entry identities remembered per app to drop a writer's repeats: the protocol's 30 s window at up to
 * ~33 entries a second; past that rate the window is shorter. ~60 bytes each.
 */
const MAX_REMEMBERED_IDENTITIES = 1_000;

/** The time in a stream id (`<ms>-<seq>`). */
export const streamIdMillis = (id: string) => Number(id.slice(0, id.indexOf('-')));

/** A sorted-set score as Redis prints it: `inf`, `-inf`, or a decimal. */
function parseScore(text: string): number {
  if (text === 'inf' || text === '+inf') return Number.POSITIVE_INFINITY;
  if (text === '-inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

type StreamEntry = [id: string, fields: string[]];

const entryBytes = (fields: readonly string[]) => fields.reduce((n, field) => n + field.length, 0);

/**
 * Follows one app's slow stream: `XRANGE key (lastId + COUNT n` each tick. The first read takes the newest
 * entries: those written since the bridge started are new, older ones only seed the rate. An entry that repeats
 * one read within the protocol's window (a writer's retry of a write that had landed) is dropped and counted.
 * A read moves nothing until it is taken (FeedRead).
 */
export class SlowTailer {
  private lastId: string | undefined;
  readonly rate = new RateWindow(RATE_WINDOW_MS);
  private readonly recent = new RepeatFilter(SLOW_REPEAT_WINDOW_MS, MAX_REMEMBERED_IDENTITIES);
  /** `pulse:slow:{app}`, built once: a poll asks every app's feed whether it changed. */
  readonly key: string;

  constructor(
    readonly app: string,
    private readonly since: number,
    private readonly onRepeat: () => void,
  ) {
    this.key = slowKey(app);
  }

  /** Whether a read was taken: until then the feed must be read, changed or not (its first read sets the cursor). */
  get following(): boolean {
    return this.lastId !== undefined;
  }

  /** Reads the entries past the cursor (on the first read, the newest ones); nothing moves until the read is taken. */
  async read(redis: RedisHandle, invalid: InvalidValues, clock: Clock): Promise<FeedRead<PulseSlowEvent>> {
    const { key } = this;
    const first = this.lastId === undefined;
    // Pages of SLOW_PAGE, at most SLOW_READ_COUNT entries or SLOW_READ_BYTES a tick: from the cursor (the rest
    // follow next tick), or on the first read the newest ones, back in time.
    const entries: StreamEntry[] = [];
    let bytes = 0;
    let from = first ? '+' : (this.lastId as string);
    while (entries.length < SLOW_READ_COUNT && bytes < SLOW_READ_BYTES) {
      const page = (
        first
          ? await redis.client.xrevrange(key, from, '-', 'COUNT', SLOW_PAGE)
          : await redis.client.xrange(key, `(${from}`, '+', 'COUNT', SLOW_PAGE)
      ) as StreamEntry[];
      for (const entry of page) bytes += entryBytes(entry[1]);
      entries.push(...page);
      if (page.length < SLOW_PAGE) break;
      from = (page[page.length - 1] as StreamEntry)[0];
      if (first) from = `(${from}`;
    }
    if (first) entries.reverse();
    return { take: () => this.take(entries, first, invalid, clock) };
  }

  /** Moves the cursor past `entries` (oldest first) and turns the new ones into events. */
  private take(entries: readonly StreamEntry[], first: boolean, invalid: InvalidValues, clock: Clock): PulseSlowEvent[] {
    const { key } = this;
    const now = clock.now;
    const events: PulseSlowEvent[] = [];
    for (const [id, fields] of entries) {
      this.lastId = id;
      // Stream ids are Redis's clock unless a writer chose them: one from the future counts now, not then.
      const at = Math.min(streamIdMillis(id), now);
      if (first && at < this.since) {
        // History from before the bridge started: it only seeds the rate window.
        if (at >= now - RATE_WINDOW_MS) this.rate.add(at);
        continue;
      }
      const parsed = parseSlowStreamFields(fields);
      if (!parsed.ok) {
        invalid.report('slow', `${key} ${id}`, parsed.error);
        continue;
      }
      if (this.recent.isRepeat(slowEntryIdentity(parsed.value), at)) {
        this.onRepeat();
        continue;
      }
      this.rate.add(Math.max(at, now - RATE_WINDOW_MS));
      events.push({ app: this.app, stream_id: id, entry: clock.clampEntry('slow', this.app, parsed.value) });
    }
    if (first && this.lastId === undefined) this.lastId = '0-0';
    return events;
  }
}

/** A member's id: its score and a hash, to skip re-parsing the ones already seen. */
const memberId = (score: string, member: string) => `${score}:${textHash(member)}`;

/**
 * Follows one app's exceptions: `ZREVRANGEBYSCORE key +inf (cursor − lookback) WITHSCORES`, in pages, skipping
 * members seen. The cursor is the highest score read, but never past the bridge's own clock: one member scored
 * in the future (a skewed writer, `+inf`) is reported once and cannot hide the exceptions written after it.
 * A read moves nothing until it is taken (FeedRead).
 */
export class ErrorTailer {
  private cursor: number | undefined;
  /** member id → score, for the members of the last read inside the lookback window (future ones included). */
  private seen = new Map<string, number>();
  readonly rate = new RateWindow(RATE_WINDOW_MS);
  /** `pulse:errors:{app}`, built once: a poll asks every app's feed whether it changed. */
  readonly key: string;

  constructor(
    readonly app: string,
    private readonly since: number,
  ) {
    this.key = errorsKey(app);
  }

  /** Whether a read was taken: until then the feed must be read, changed or not (its first read sets the cursor). */
  get following(): boolean {
    return this.cursor !== undefined;
  }

  /** Reads the members from the cursor's lookback up, newest first; nothing moves until the read is taken. */
  async read(redis: RedisHandle, invalid: InvalidValues, clock: Clock, caps: Caps): Promise<FeedRead<PulseErrorEvent>> {
    const { key } = this;
    const first = this.cursor === undefined;
    const from = first ? clock.now - RATE_WINDOW_MS : (this.cursor as number) - ERROR_LOOKBACK_MS;
    // Newest first, so that a flood past the read limit leaves out the oldest members, not what just arrived.
    const flat: string[] = [];
    let bytes = 0;
    let offset = 0;
    let leftOut = 0;
    for (;;) {
      const page = (await redis.client.zrevrangebyscore(key, '+inf', from, 'WITHSCORES', 'LIMIT', offset, ERROR_PAGE)) as string[];
      for (const part of page) bytes += part.length;
      flat.push(...page);
      offset += page.length / 2;
      if (page.length < ERROR_PAGE * 2) break;
      if (offset >= ERROR_READ_MAX || bytes >= ERROR_READ_BYTES) {
        // What is past the limit is not read this time (nor, once it falls out of the window, ever): counted.
        leftOut = (await redis.client.zcount(key, from, '+inf')) - offset;
        break;
      }
    }
    return {
      take: () => {
        caps.reached('exceptions', leftOut, { app: this.app, read: offset, bytes });
        return this.take(flat, from, first, invalid, clock);
      },
    };
  }

  /** Moves the cursor past `flat` (members and scores, newest first, from `from` up) and turns the unseen ones into events. */
  private take(flat: readonly string[], from: number, first: boolean, invalid: InvalidValues, clock: Clock): PulseErrorEvent[] {
    const { key } = this;
    const now = clock.now;
    const events: PulseErrorEvent[] = [];
    let cursor = this.cursor ?? from;
    const present = new Map<string, number>();
    // Oldest first, as they happened.
    for (let i = flat.length - 2; i >= 0; i -= 2) {
      const member = flat[i] as string;
      const scoreText = flat[i + 1] as string;
      const score = parseScore(scoreText);
      const id = memberId(scoreText, member);
      present.set(id, score);
      if (this.seen.has(id)) continue;
      const at = Math.min(score, now);
      if (at > cursor) cursor = at;
      if (first && score < this.since) {
        this.rate.add(score);
        continue;
      }
      const parsed = parseErrorMember(member);
      if (!parsed.ok) {
        invalid.report('error', key, parsed.error);
        continue;
      }
      const entry = clock.clampEntry('error', this.app, parsed.value);
      this.rate.add(Math.max(entry.timestamp, now - RATE_WINDOW_MS));
      events.push({ app: this.app, entry });
    }
    this.cursor = cursor;
    // Every member scored from the next read's start up is in this read, so the members seen are those of this
    // read from there: a member that left the set (however far ahead it was scored) is forgotten with it.
    const cutoff = cursor - ERROR_LOOKBACK_MS;
    for (const [id, score] of present) if (!(score >= cutoff)) present.delete(id);
    this.seen = present;
    return events;
  }
}
