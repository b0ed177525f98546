import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { commandRefusal } from './command-refusal.js';
import type { RedisHandle } from './connection.js';
import { nodeAddress } from './node-address.js';
import { withDeadline } from './read.js';

/** How often `INFO memory` is read at most: every poll at the default 2 s interval, less often when polls are faster. */
const MEMORY_CHECK_MS = 2_000;
/**
 * Redis counts every write it refused for memory (`errorstat_OOM`). A rise means writers are being refused now;
 * the state holds this long after the last rise, since SDKs write only every few seconds.
 */
const OOM_HOLD_MS = 15_000;

export interface RedisMemory {
  usedBytes: number;
  /** `maxmemory`; 0 is no limit. */
  maxBytes: number;
  policy: string;
  /**
   * Redis refuses writes: at `maxmemory` with the `noeviction` policy, or it refused one (any policy) in the last
   * `OOM_HOLD_MS`. Every SDK's heartbeat then fails, so every server goes lost at once although nothing
   * happened to them.
   */
  oom: boolean;
}

/** What one node's INFO says: its memory, whether it is full by itself, and how many writes it refused so far. */
interface NodeMemory extends RedisMemory {
  refused: number;
}

function field(info: string, name: string): string | undefined {
  const match = new RegExp(`^${name}:(.*?)\\r?$`, 'm').exec(info);
  return match?.[1];
}

/** The fields of `INFO memory` and `INFO errorstats` that tell "Redis refuses writes" apart from "servers are lost". */
function parseInfoMemory(info: string): NodeMemory {
  const usedBytes = Number(field(info, 'used_memory') ?? 0);
  const maxBytes = Number(field(info, 'maxmemory') ?? 0);
  // Redis leaves replica and AOF buffers out when it compares with maxmemory.
  const notCounted = Number(field(info, 'mem_not_counted_for_evict') ?? 0);
  const policy = field(info, 'maxmemory_policy') ?? 'unknown';
  const refused = Number(/^errorstat_OOM:count=(\d+)/m.exec(info)?.[1] ?? 0);
  return { usedBytes, maxBytes, policy, refused, oom: maxBytes > 0 && policy === 'noeviction' && usedBytes - notCounted >= maxBytes };
}

/** One node's `INFO memory` and `INFO errorstats`, as one text; rejects with Redis's answer if it refused either. */
async function readInfo(node: Redis): Promise<string> {
  const replies = await node.pipeline().info('memory').info('errorstats').exec();
  if (replies === null) throw new Error('INFO memory: no reply');
  const sections = replies.map(([err, section]) => {
    if (err) throw err;
    return section as string;
  });
  return sections.join('\n');
}

/**
 * Reads `INFO memory` at a low rate, beside the poll. On a cluster every master is read, and Redis counts as out
 * of memory when any master is (its slots refuse writes). A failed read keeps the last state: the poll itself
 * reports an unreachable Redis. Where Redis refuses `INFO` (an ACL without it, `rename-command`), whether it is
 * full cannot be known: the state reads unknown (`memory` undefined), never "not full", and the refusal is said
 * once in the log (again only after `INFO` was answered in between).
 */
export class MemoryWatch {
  private state: RedisMemory | undefined;
  private lastRead = Number.NEGATIVE_INFINITY;
  /** Refused writes per node at the last read, and when they last rose. */
  private refused = new Map<string, number>();
  private lastRefusal = Number.NEGATIVE_INFINITY;
  /** Redis's answer while it refuses `INFO`. */
  private infoRefused: string | undefined;

  constructor(
    private readonly redis: RedisHandle,
    private readonly timeoutMs: number,
    private readonly log: Logger,
  ) {}

  /** The last state read; undefined while unknown (not read yet, or Redis refuses `INFO`). */
  get memory(): RedisMemory | undefined {
    return this.state;
  }

  /** Reads when due; resolves with whether the out-of-memory state changed. */
  async check(now: number): Promise<boolean> {
    if (now - this.lastRead < MEMORY_CHECK_MS) return false;
    this.lastRead = now;
    try {
      const masters = this.redis.masters();
      // Two sections, as two commands (Redis before 7 takes one INFO section at a time) sent in one write.
      const infos = await withDeadline(Promise.all(masters.map(readInfo)), this.timeoutMs, 'INFO memory');
      if (infos.length === 0) return false;
      const nodes = infos.map(parseInfoMemory);
      const refused = new Map(nodes.map((m, i) => [nodeAddress(masters[i] as Redis), m.refused]));
      for (const [node, count] of refused) {
        const before = this.refused.get(node);
        if (before !== undefined && count > before) this.lastRefusal = now;
      }
      this.refused = refused;
      const maxBytes = nodes.reduce((n, m) => n + m.maxBytes, 0);
      const next: RedisMemory = {
        usedBytes: nodes.reduce((n, m) => n + m.usedBytes, 0),
        maxBytes,
        policy: (nodes[0] as RedisMemory).policy,
        // A limit lifted (maxmemory 0) ends the state at once.
        oom: nodes.some((m) => m.oom) || (maxBytes > 0 && now - this.lastRefusal < OOM_HOLD_MS),
      };
      const changed = (this.state?.oom ?? false) !== next.oom;
      this.state = next;
      if (this.infoRefused !== undefined) {
        this.infoRefused = undefined;
        this.log.info('redis answers INFO again: whether it is full (maxmemory) is known again');
      }
      return changed;
    } catch (err) {
      if (commandRefusal(err)?.command === 'INFO') this.infoRefusedWith((err as Error).message);
      return false;
    }
  }

  /** Redis refuses `INFO`: a setting, not an outage (the poll goes on), so the state becomes unknown. */
  private infoRefusedWith(message: string): void {
    this.state = undefined;
    if (this.infoRefused !== undefined) return;
    this.infoRefused = message;
    this.log.warn(
      { err: message },
      'redis refuses INFO: whether it is full (maxmemory) is unknown; pulse_bridge_redis_oom and the Redis memory gauges read NaN and pulse_status carries no redis_oom until INFO is allowed',
    );
  }
}
