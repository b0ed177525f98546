import {
  ERRORS_MAX_MEMBERS,
  errorsKey,
  type PulseErrorEvent,
  type PulseSlowEvent,
  parseErrorMember,
  parseSlowStreamFields,
  slowKey,
} from '@gravito/pulse-protocol';
import type { RedisHandle } from '../redis/connection.js';
import type { InvalidValues } from './invalid-values.js';
import { RateWindow } from './rate-window.js';

/** Most stream entries read per app per tick; the rest follow on the next ticks. */
export const SLOW_READ_COUNT = 1_000;
/**
 * Exceptions are scored by the writer's clock, so one written late (batching, a skewed clock) can land below
 * the highest score already seen. Each tick re-reads this far back and skips the members it has seen.
 */
export const ERROR_LOOKBACK_MS = 60_000;
const RATE_WINDOW_MS = 300_000;

const streamIdMillis = (id: string) => Number(id.slice(0, id.indexOf('-')));

type StreamEntry = [id: string, fields: string[]];

/**
 * Follows one app's slow stream: `XRANGE key (lastId + COUNT n` each tick. The first read takes the newest
 * entries: those written since the bridge started are new, older ones only seed the rate.
 */
export class SlowTailer {
  private lastId: string | undefined;
  readonly rate = new RateWindow(RATE_WINDOW_MS);

  constructor(
    readonly app: string,
    private readonly since: number,
  ) {}

  async read(redis: RedisHandle, invalid: InvalidValues, now: number): Promise<PulseSlowEvent[]> {
    const key = slowKey(this.app);
    let entries: StreamEntry[];
    let first = false;
    if (this.lastId === undefined) {
      first = true;
      entries = ((await redis.client.xrevrange(key, '+', '-', 'COUNT', SLOW_READ_COUNT)) as StreamEntry[]).reverse();
    } else {
      entries = (await redis.client.xrange(key, `(${this.lastId}`, '+', 'COUNT', SLOW_READ_COUNT)) as StreamEntry[];
    }
    const events: PulseSlowEvent[] = [];
    for (const [id, fields] of entries) {
      this.lastId = id;
      if (first && streamIdMillis(id) < this.since) {
        // History from before the bridge started: it only seeds the rate window.
        if (streamIdMillis(id) >= now - RATE_WINDOW_MS) this.rate.add(streamIdMillis(id));
        continue;
      }
      const parsed = parseSlowStreamFields(fields);
      if (!parsed.ok) {
        invalid.report('slow', `${key} ${id}`, parsed.error);
        continue;
      }
      this.rate.add(Math.max(streamIdMillis(id), now - RATE_WINDOW_MS));
      events.push({ app: this.app, stream_id: id, entry: parsed.value });
    }
    if (first && this.lastId === undefined) this.lastId = '0-0';
    return events;
  }
}

/** A cheap fingerprint of a member, to skip re-parsing the ones already seen (two 32-bit string hashes). */
function memberId(score: string, member: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x2545f491;
  for (let i = 0; i < member.length; i++) {
    const c = member.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  return `${score}:${member.length}:${(h1 >>> 0).toString(36)}${(h2 >>> 0).toString(36)}`;
}

/**
 * Follows one app's exceptions: `ZRANGEBYSCORE key (max − lookback) +inf WITHSCORES`, skipping members seen.
 * The set holds at most 1,000 members by protocol, so a read is bounded.
 */
export class ErrorTailer {
  private maxScore: number | undefined;
  /** member id → score, for the members inside the lookback window. */
  private readonly seen = new Map<string, number>();
  readonly rate = new RateWindow(RATE_WINDOW_MS);

  constructor(
    readonly app: string,
    private readonly since: number,
  ) {}

  async read(redis: RedisHandle, invalid: InvalidValues, now: number): Promise<PulseErrorEvent[]> {
    const key = errorsKey(this.app);
    const first = this.maxScore === undefined;
    const from = first ? now - RATE_WINDOW_MS : (this.maxScore as number) - ERROR_LOOKBACK_MS;
    const flat = (await redis.client.zrangebyscore(key, from, '+inf', 'WITHSCORES', 'LIMIT', 0, ERRORS_MAX_MEMBERS * 2)) as string[];
    const events: PulseErrorEvent[] = [];
    let max = this.maxScore ?? from;
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const member = flat[i] as string;
      const scoreText = flat[i + 1] as string;
      const score = Number(scoreText);
      const id = memberId(scoreText, member);
      if (this.seen.has(id)) continue;
      this.seen.set(id, score);
      if (Number.isFinite(score) && score > max) max = score;
      if (first && score < this.since) {
        this.rate.add(score);
        continue;
      }
      const parsed = parseErrorMember(member);
      if (!parsed.ok) {
        invalid.report('error', key, parsed.error);
        continue;
      }
      this.rate.add(Math.max(parsed.value.timestamp, now - RATE_WINDOW_MS));
      events.push({ app: this.app, entry: parsed.value });
    }
    this.maxScore = max;
    const cutoff = max - ERROR_LOOKBACK_MS;
    for (const [id, score] of this.seen) if (!(score >= cutoff)) this.seen.delete(id);
    return events;
  }
}
