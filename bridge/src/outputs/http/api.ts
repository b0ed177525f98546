import {
  ERRORS_MAX_MEMBERS,
  type ErrorEntry,
  errorsKey,
  parseErrorMember,
  parseSlowStreamFields,
  SLOW_REPEAT_WINDOW_MS,
  type SlowEntry,
  slowEntryIdentity,
  slowKey,
} from '@gravito/pulse-protocol';
import { RepeatFilter } from '../../monitor/repeat-filter.js';
import { streamIdMillis } from '../../monitor/tailers.js';
import type { RedisHandle } from '../../redis/connection.js';
import { withDeadline } from '../../redis/read.js';
import { ReadGate } from './read-gate.js';

export interface SlowListItem {
  stream_id: string;
  entry: SlowEntry;
}

/** A newest-first listing without writers' repeats (protocol: `slowEntryIdentity`), judged oldest first as the poller does. */
function withoutRepeats(entries: readonly SlowListItem[]): SlowListItem[] {
  const recent = new RepeatFilter(SLOW_REPEAT_WINDOW_MS, Math.max(1, entries.length));
  const kept = [...entries].reverse().filter((item) => !recent.isRepeat(slowEntryIdentity(item.entry), streamIdMillis(item.stream_id)));
  return kept.reverse();
}

export interface ErrorGroup {
  fingerprint: string;
  type: string;
  count: number;
  /** Timestamp of the latest occurrence, epoch ms. */
  latest: number;
  /** The latest occurrence. */
  sample: ErrorEntry;
}

/** Entries per XREVRANGE page and members per ZRANGEBYSCORE page of an API read. */
export const API_PAGE = 50;
/** Most bytes one API read takes from Redis; past it the answer is cut short (`truncated: true`). */
export const API_READ_BYTES = 4 * 1024 * 1024;
/** Different API reads running at once, and waiting; past them a caller gets 503 at once. */
export const API_READS_ACTIVE = 4;
export const API_READS_WAITING = 64;

/**
 * Reads behind the JSON API, bounded however hostile the data and however many callers: each read walks its key
 * in pages and stops at `API_READ_BYTES`, identical concurrent reads share one Redis read, and only
 * `API_READS_ACTIVE` run at once (ReadGate). Invalid entries are skipped (the poller counts and logs them).
 */
export class PulseApi {
  private readonly gate: ReadGate;

  constructor(
    private readonly redis: RedisHandle,
    private readonly timeoutMs: number,
    onRefused: () => void,
  ) {
    this.gate = new ReadGate(API_READS_ACTIVE, API_READS_WAITING, onRefused);
  }

  /** The newest `limit` slow entries of an app, newest first (`XREVRANGE … COUNT`, page by page). */
  slow(app: string, limit: number): Promise<{ entries: SlowListItem[]; truncated: boolean }> {
    return this.gate.run(`slow\u0000${app}\u0000${limit}`, () => withDeadline(this.readSlow(app, limit), this.timeoutMs, 'XREVRANGE'));
  }

  private async readSlow(app: string, limit: number): Promise<{ entries: SlowListItem[]; truncated: boolean }> {
    const key = slowKey(app);
    const entries: SlowListItem[] = [];
    let bytes = 0;
    let end = '+';
    let read = 0;
    while (read < limit) {
      const page = (await redisCall(this.redis, () =>
        this.redis.client.xrevrange(key, end, '-', 'COUNT', Math.min(API_PAGE, limit - read)),
      )) as [string, string[]][];
      for (const [id, fields] of page) {
        read++;
        bytes += fields.reduce((n, field) => n + field.length, 0);
        const parsed = parseSlowStreamFields(fields);
        if (parsed.ok) entries.push({ stream_id: id, entry: parsed.value });
      }
      if (page.length < API_PAGE || read >= limit) break;
      if (bytes >= API_READ_BYTES) return { entries: withoutRepeats(entries), truncated: true };
      end = `(${(page[page.length - 1] as [string, string[]])[0]}`;
    }
    return { entries: withoutRepeats(entries), truncated: false };
  }

  /** An app's exceptions since `since` (epoch ms), grouped by fingerprint: count, latest, and a sample. Most frequent first. */
  errors(app: string, since: number): Promise<{ total: number; groups: ErrorGroup[]; truncated: boolean }> {
    return this.gate.run(`errors\u0000${app}\u0000${since}`, () =>
      withDeadline(this.readErrors(app, since), this.timeoutMs, 'ZRANGEBYSCORE'),
    );
  }

  private async readErrors(app: string, since: number): Promise<{ total: number; groups: ErrorGroup[]; truncated: boolean }> {
    const key = errorsKey(app);
    const groups = new Map<string, ErrorGroup>();
    let total = 0;
    let bytes = 0;
    let offset = 0;
    let truncated = false;
    for (;;) {
      const members = await redisCall(this.redis, () => this.redis.client.zrangebyscore(key, since, '+inf', 'LIMIT', offset, API_PAGE));
      offset += members.length;
      for (const member of members) {
        bytes += member.length;
        const parsed = parseErrorMember(member);
        if (!parsed.ok) continue; // counted and logged by the poller
        total++;
        const entry = parsed.value;
        const group = groups.get(entry.fingerprint);
        if (!group)
          groups.set(entry.fingerprint, {
            fingerprint: entry.fingerprint,
            type: entry.type,
            count: 1,
            latest: entry.timestamp,
            sample: entry,
          });
        else {
          group.count++;
          if (entry.timestamp >= group.latest) {
            group.latest = entry.timestamp;
            group.sample = entry;
          }
        }
      }
      if (members.length < API_PAGE) break;
      if (bytes >= API_READ_BYTES || offset >= ERRORS_MAX_MEMBERS * 2) {
        truncated = true;
        break;
      }
    }
    return { total, groups: [...groups.values()].sort((a, b) => b.count - a.count || b.latest - a.latest), truncated };
  }
}

/** Redis unreachable is a 503 to the API caller, not a 500. */
export class RedisUnavailable extends Error {}

async function redisCall<T>(redis: RedisHandle, call: () => Promise<T>): Promise<T> {
  const unready = redis.unready();
  if (unready !== undefined) throw new RedisUnavailable(unready);
  try {
    return await call();
  } catch (err) {
    throw new RedisUnavailable((err as Error).message);
  }
}
