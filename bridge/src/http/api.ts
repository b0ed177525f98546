import {
  ERRORS_MAX_MEMBERS,
  type ErrorEntry,
  errorsKey,
  parseErrorMember,
  parseSlowStreamFields,
  type SlowEntry,
  slowKey,
} from '@gravito/pulse-protocol';
import type { RedisHandle } from '../redis/connection.js';
import { withDeadline } from '../redis/read.js';

export interface SlowListItem {
  stream_id: string;
  entry: SlowEntry;
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

/** Reads behind the JSON API. Each is one bounded Redis command; invalid entries are skipped. */
export class PulseApi {
  constructor(
    private readonly redis: RedisHandle,
    private readonly timeoutMs: number,
  ) {}

  /** The newest `limit` slow entries of an app, newest first (`XREVRANGE … COUNT limit`). */
  async slow(app: string, limit: number): Promise<SlowListItem[]> {
    const key = slowKey(app);
    const entries = (await withDeadline(
      redisCall(this.redis, () => this.redis.client.xrevrange(key, '+', '-', 'COUNT', limit)),
      this.timeoutMs,
      'XREVRANGE',
    )) as [string, string[]][];
    const items: SlowListItem[] = [];
    for (const [id, fields] of entries) {
      const parsed = parseSlowStreamFields(fields);
      // Invalid entries are skipped here; the poller already counted and logged them when it read them.
      if (parsed.ok) items.push({ stream_id: id, entry: parsed.value });
    }
    return items;
  }

  /** An app's exceptions since `since` (epoch ms), grouped by fingerprint: count, latest, and a sample. Most frequent first. */
  async errors(app: string, since: number): Promise<{ total: number; groups: ErrorGroup[] }> {
    const key = errorsKey(app);
    const members = await withDeadline(
      redisCall(this.redis, () => this.redis.client.zrangebyscore(key, since, '+inf', 'LIMIT', 0, ERRORS_MAX_MEMBERS * 2)),
      this.timeoutMs,
      'ZRANGEBYSCORE',
    );
    const groups = new Map<string, ErrorGroup>();
    let total = 0;
    for (const member of members) {
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
    return { total, groups: [...groups.values()].sort((a, b) => b.count - a.count || b.latest - a.latest) };
  }
}

/** Redis unreachable is a 503 to the API caller, not a 500. */
export class RedisUnavailable extends Error {}

async function redisCall<T>(redis: RedisHandle, call: () => Promise<T>): Promise<T> {
  if (!redis.ready()) throw new RedisUnavailable(`Redis not connected (${redis.client.status})`);
  try {
    return await call();
  } catch (err) {
    throw new RedisUnavailable((err as Error).message);
  }
}
