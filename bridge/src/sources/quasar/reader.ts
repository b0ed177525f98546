import {
  isMirroredNodeJson,
  MAX_PULSE_NODE_BYTES,
  type PulseHeartbeat,
  type PulseNode,
  parsePulseNode,
  pulseNodeToHeartbeat,
  QUASAR_NODE_SCAN_PATTERN,
  toSafeKeyPart,
} from '@gravito/pulse-protocol';
import { type Logger, pino } from 'pino';
import type { InvalidValues } from '../../lib/invalid-values.js';
import { LeftOutTally } from '../../lib/left-out-tally.js';
import { SlicedParser } from '../../lib/sliced-parser.js';
import { textHash } from '../../lib/text-hash.js';
import { type BoundedValue, CHUNKS_IN_FLIGHT, ChunkFetcher, measureChunk, unreadReason } from '../../redis/bounded-get.js';
import type { RedisHandle } from '../../redis/connection.js';
import { redisErrorText } from '../../redis/error-text.js';
import { MGET_CHUNK, mapLimited, scanEach, withCancellingDeadline } from '../../redis/read.js';
import { type QuasarLimits, ReadBudget } from './read-budget.js';

/** Most agents' nodes kept per poll (the count cap); valid nodes past it are left out and counted. */
export const DEFAULT_MAX_QUASAR_NODES = 10_000;
/**
 * Most bytes of node values fetched per poll, valid or not (the byte cap, planned from their lengths measured in
 * Redis before any is read): what a poll reads and holds of them, so also what the kept nodes hold from poll to
 * poll (their text) and what Zenith's envelope carries. 10,000 typical nodes (~1 KB) fit, or ~1,300 Go agents
 * listing 64 workers each (~13 KB); nodes of 63 KB stop at about 260.
 */
export const DEFAULT_MAX_QUASAR_BYTES = 16 * 1024 * 1024;
/** Most `gravito:quasar:node:*` keys one scan collects; the scan stops there (counted). */
export const DEFAULT_MAX_QUASAR_KEYS = 200_000;
/**
 * Bytes of values per fetched chunk, by their measured lengths (and at most `MGET_CHUNK` keys). A chunk's values
 * are held until the whole chunk is in: the 8 chunks in flight (`CHUNKS_IN_FLIGHT`) hold about 8 MiB at most,
 * whatever the nodes' size (one value rewritten larger between the measure and the read can add to it).
 */
const CHUNK_BYTES = 1024 * 1024;

const chunksOf = (keys: readonly string[], size: number): string[][] => {
  const chunks: string[][] = [];
  for (let i = 0; i < keys.length; i += size) chunks.push(keys.slice(i, i + size));
  return chunks;
};

export interface QuasarReadCounts {
  /** Nodes a Pulse bridge mirrored (skipped: they are already read from `pulse:server:*`). */
  ownMirrors: number;
  /**
   * Node keys the caps left out: not fetched past the byte cap, or past the count cap (valid, or not fetched once it
   * was reached). Counted once: grows when a poll leaves out more than the poll before, not again at every poll.
   */
  leftOut: number;
  /** Scans that stopped at the key cap. */
  truncatedScans: number;
  /** Reads that failed or passed their deadline (cancelled there): the poll kept the agents' last state, marked stale. */
  failedReads: number;
}

/**
 * One agent's node as a GPP heartbeat: what a read gives for each key, the same object from read to read while the
 * node's text stays the same (so whoever keeps work per heartbeat keeps it for an unchanged node).
 */
export interface AgentHeartbeat {
  /** The `gravito:quasar:node:*` key it was read from. */
  readonly key: string;
  /** Its service and id as key parts (`toSafeKeyPart`), as a `pulse:server:*` key would name them. */
  readonly app: string;
  readonly id: string;
  readonly heartbeat: PulseHeartbeat;
  /** The heartbeat's JSON, one line. */
  readonly json: string;
  /** The node's text as read. */
  readonly raw: string;
}

/** What a read keeps between polls, by key. */
interface ReaderState {
  /** The agents' heartbeats. */
  found: Map<string, AgentHeartbeat>;
  /** Keys holding a node a Pulse bridge mirrored (skipped). */
  mirrors: Set<string>;
  /** Each fetched key's measured length: its share of the byte cap. */
  bytes: Map<string, number>;
  /** When each fetched key's time to live runs out, on this process's monotonic clock (`Infinity`: never). */
  deadlines: Map<string, number>;
}

/** What one read of some keys found: the state for those keys, the invalid values among them, and what the caps left out. */
interface KeysRead extends ReaderState {
  /** Keys holding an invalid value → its fingerprint. */
  invalid: Map<string, string>;
  leftOut: number;
}

export interface QuasarReaderOptions {
  log?: Logger;
  limits?: Partial<QuasarLimits>;
}

/** An agent's node but its `meta`, which is only ever served as the agent wrote it (`nodeJsonOf`). */
export type AgentNode = Omit<PulseNode, 'meta'>;

/** A read that has not given this poll's agents: since when (the bridge's clock) and why. */
export interface QuasarStale {
  since: number;
  error: string;
}

const ignore = () => {};

/**
 * Reads the nodes Zenith's agents (Quasar for Node and Bun, the Laravel and Go agents) write to
 * `gravito:quasar:node:*`, as Zenith itself does (SCAN, then the values), and turns each into a GPP heartbeat
 * (`pulseNodeToHeartbeat`, an AgentHeartbeat), which the monitor adds to the same snapshot as `pulse:server:*` servers.
 *
 * - Bounded as heartbeats are, with the same reads: every value's length is measured in Redis first
 *   (`measureChunk`), so a read fetches at most `maxBytes` (planned, not found out) in chunks of about 1 MiB, few
 *   at a time, each value size-checked again as it is read (`boundedGetChunk`); it keeps at most `maxNodes` valid
 *   nodes (junk never counts). Keys are taken known agents first, then new keys, then keys that held junk last
 *   time, so junk cannot push a known agent out; what the caps leave out is counted and logged once.
 * - `poll` never outlasts its deadline and never fails: a read past it is cancelled (no further page or chunk is
 *   sent), and a poll never starts a read while the previous one winds down. Either way the poll gets the last
 *   read's agents, marked stale, and the Pulse feeds go on.
 * - A node a Pulse bridge mirrored (its top-level `meta.gravito_pulse.mirror`) is skipped: never counted twice.
 * - An invalid node is skipped, counted as an invalid heartbeat, and logged once while its value stays the same
 *   (remembered by a hash, not by its text).
 * - An unchanged value keeps its AgentHeartbeat (the same object), so the monitor, the registry and the snapshot reuse their work.
 * - The node stays reachable from its heartbeat, for its queues (`nodeOf`, without its `meta`) and for Zenith's
 *   routes (`nodeJsonOf`: the text as read, so a node's `meta` is held once, as text, never also parsed).
 */
export class QuasarReader {
  readonly counts: QuasarReadCounts = { ownMirrors: 0, leftOut: 0, truncatedScans: 0, failedReads: 0 };
  /** Reads that fetched only the nodes that changed (the others read every key). */
  readsOfChanges = 0;
  /** Set while the snapshot holds the last read's agents rather than this poll's. */
  stale: QuasarStale | undefined;
  private readonly limits: QuasarLimits;
  private readonly log: Logger;
  /** What the last read that succeeded found, for the next read of only what changed (and `keepLast`). */
  private state: ReaderState = { found: new Map(), mirrors: new Set(), bytes: new Map(), deadlines: new Map() };
  /** Whether `state` is what a read of every key would find now, but for what changed since (no cap left any key out). */
  private complete = false;
  /**
   * Keys whose value was invalid when last looked at → its fingerprint (the reason when unread, else a hash of the
   * text): an invalid value is reported once, while it stays the same. Set as soon as a value is reported.
   */
  private invalidSeen = new Map<string, string>();
  /** Each agent's heartbeat → its node, without `meta` (the bulk of a large node: served from its text instead), and its text. */
  private readonly nodes = new WeakMap<PulseHeartbeat, { node: AgentNode; json: string }>();
  /** The read in flight, until it has settled: after its deadline it winds down, and no read starts meanwhile. */
  private reading: Promise<void> | undefined;
  private capsLogged = false;
  private readonly nodesLeftOut = new LeftOutTally();

  constructor(options: QuasarReaderOptions = {}) {
    this.log = options.log ?? pino({ level: 'silent' });
    this.limits = {
      maxNodes: DEFAULT_MAX_QUASAR_NODES,
      maxBytes: DEFAULT_MAX_QUASAR_BYTES,
      maxKeys: DEFAULT_MAX_QUASAR_KEYS,
      ...options.limits,
    };
  }

  /** Most agents' nodes one read keeps. */
  get maxNodes(): number {
    return this.limits.maxNodes;
  }

  /** The agent's node a heartbeat was mapped from, but its `meta`; `undefined` for a GPP heartbeat. */
  nodeOf(heartbeat: PulseHeartbeat): AgentNode | undefined {
    return this.nodes.get(heartbeat)?.node;
  }

  /** The agent's node as it wrote it: the JSON text read from Redis (validated). */
  nodeJsonOf(heartbeat: PulseHeartbeat): string | undefined {
    return this.nodes.get(heartbeat)?.json;
  }

  /**
   * One poll's agents, by key: this poll's read, or the last read's agents, marked `stale`, when the read fails,
   * passes `deadlineMs` (then it is cancelled), or the previous read is still winding down. Never rejects, and
   * settles by the deadline: a Quasar failure never holds or fails the poll of `pulse:server:*`.
   */
  async poll(
    redis: RedisHandle,
    invalid: InvalidValues,
    now: number,
    deadlineMs: number,
    changed?: ReadonlySet<string>,
  ): Promise<ReadonlyMap<string, AgentHeartbeat>> {
    if (this.reading) return this.keepLast(new Error('the previous Quasar node read is still winding down'), now);
    // Nothing changed and no node known (no agent writes here): nothing to read, or to probe.
    if (changed?.size === 0 && this.complete && this.state.bytes.size === 0) return this.state.found;
    try {
      const found = await withCancellingDeadline(
        (signal) => {
          const read = this.read(redis, invalid, signal, changed);
          this.reading = read.then(ignore, ignore).finally(() => {
            this.reading = undefined;
          });
          return read;
        },
        deadlineMs,
        'Quasar node read',
      );
      if (this.stale) {
        this.log.info({ staleForMs: now - this.stale.since }, 'Quasar node read succeeded again: agents are current');
        this.stale = undefined;
      }
      return found;
    } catch (err) {
      return this.keepLast(err, now);
    }
  }

  /**
   * One read of the agents' nodes, by key; invalid ones go to `invalid`. With `changed` (the node keys Redis said
   * changed since the last read, HeartbeatSource), only those and the nodes whose time to live ran out are read,
   * into the last read's state, when that gives what a read of every key would: the last read left nothing out
   * and completed, and the changes keep within the caps. Otherwise every key is read. Throws when Redis fails or
   * `signal` aborts; a read that throws changes no agent (only what it reported is remembered, so it is not
   * reported again).
   */
  async read(
    redis: RedisHandle,
    invalid: InvalidValues,
    signal?: AbortSignal,
    changed?: ReadonlySet<string>,
  ): Promise<ReadonlyMap<string, AgentHeartbeat>> {
    // Until this read succeeds, the next one reads every key: what this one took from the feed is lost if it fails.
    const complete = this.complete;
    this.complete = false;
    if (changed !== undefined && complete) {
      const applied = await this.readChanged(redis, invalid, changed, signal);
      if (applied !== undefined) {
        this.complete = true;
        this.readsOfChanges++;
        return applied;
      }
    }
    const keys: string[] = [];
    const scan = await scanEach(redis, QUASAR_NODE_SCAN_PATTERN, this.limits.maxKeys, (key) => keys.push(key), signal);
    const read = await this.readKeys(redis, invalid, this.readingOrder(keys), new ReadBudget(this.limits), signal);
    this.noteCaps(read.leftOut, scan.truncated);
    this.state = { found: read.found, mirrors: read.mirrors, bytes: read.bytes, deadlines: read.deadlines };
    this.invalidSeen = read.invalid;
    this.counts.ownMirrors = read.mirrors.size;
    // Past a cap, which keys are kept is decided by reading every key, in its order.
    this.complete = read.leftOut === 0 && !scan.truncated;
    return read.found;
  }

  /**
   * The changed keys and the expired ones applied to the last read's state; undefined when the caps would leave
   * some out (a read of every key decides which).
   */
  private async readChanged(
    redis: RedisHandle,
    invalid: InvalidValues,
    changed: ReadonlySet<string>,
    signal?: AbortSignal,
  ): Promise<ReadonlyMap<string, AgentHeartbeat> | undefined> {
    const last = this.state;
    const keys = new Set(changed);
    const now = performance.now();
    for (const [key, deadline] of last.deadlines) if (deadline <= now) keys.add(key);
    // One known key is read again every poll: a permission the reads need and lost (an ACL's key patterns)
    // shows in this poll, marked stale, not at the next read of every key.
    const [probe] = last.bytes.keys();
    if (probe !== undefined) keys.add(probe);
    if (keys.size === 0) return last.found;
    let planned = 0;
    for (const [key, bytes] of last.bytes) if (!keys.has(key)) planned += bytes;
    let kept = 0;
    for (const key of last.found.keys()) if (!keys.has(key)) kept++;
    const read = await this.readKeys(redis, invalid, this.readingOrder([...keys]), new ReadBudget(this.limits, planned, kept), signal);
    if (read.leftOut > 0) return undefined;
    this.noteCaps(0, false);
    // Every key read as it was (the probe, a node rewritten the same): the same state, and the same agents map.
    const same = (key: string) =>
      read.found.get(key) === last.found.get(key) &&
      read.mirrors.has(key) === last.mirrors.has(key) &&
      read.bytes.get(key) === last.bytes.get(key) &&
      read.deadlines.has(key) === last.deadlines.has(key);
    if ([...keys].every(same)) {
      // A node written again with the same value has a new time to live; an unreadable value may be gone.
      for (const [key, deadline] of read.deadlines) last.deadlines.set(key, deadline);
      for (const key of keys) if (!read.invalid.has(key)) this.invalidSeen.delete(key);
      return last.found;
    }
    // Unchanged keys keep their place (the order a read of every key would take them in: known agents first).
    const found = new Map(last.found);
    const mirrors = new Set(last.mirrors);
    const bytes = new Map(last.bytes);
    const deadlines = new Map(last.deadlines);
    for (const key of keys) {
      if (!read.found.has(key)) found.delete(key);
      mirrors.delete(key);
      bytes.delete(key);
      deadlines.delete(key);
      if (!read.invalid.has(key)) this.invalidSeen.delete(key);
    }
    for (const [key, agent] of read.found) found.set(key, agent);
    for (const key of read.mirrors) mirrors.add(key);
    for (const [key, size] of read.bytes) bytes.set(key, size);
    for (const [key, deadline] of read.deadlines) deadlines.set(key, deadline);
    this.state = { found, mirrors, bytes, deadlines };
    this.counts.ownMirrors = mirrors.size;
    return found;
  }

  /**
   * Reads `ordered` keys within `budget`: every value's length measured in Redis first (nothing read), what the
   * caps let through fetched with its time to live, and each value validated into a heartbeat, or skipped and
   * reported. Throws when Redis fails or `signal` aborts.
   */
  private async readKeys(
    redis: RedisHandle,
    invalid: InvalidValues,
    ordered: readonly string[],
    budget: ReadBudget,
    signal?: AbortSignal,
  ): Promise<KeysRead> {
    const sizes = (await mapLimited(chunksOf(ordered, MGET_CHUNK), CHUNKS_IN_FLIGHT, (chunk) => measureChunk(redis, chunk, signal))).flat();
    const read: KeysRead = { found: new Map(), invalid: new Map(), mirrors: new Set(), bytes: new Map(), deadlines: new Map(), leftOut: 0 };
    const noteInvalid = (key: string, fingerprint: string, reason: string) => {
      if (this.invalidSeen.get(key) !== fingerprint) invalid.report('heartbeat', key, reason);
      // Remembered at once, also by a read that fails later: what was reported is not reported again.
      this.invalidSeen.set(key, fingerprint);
      read.invalid.set(key, fingerprint);
    };
    const take = (key: string, raw: BoundedValue | undefined) => {
      if (raw === null || raw === undefined) return; // expired between the measure and the read
      if (typeof raw !== 'string') {
        // Rewritten larger, or as another type, since it was measured: still not read.
        const reason = unreadReason(raw, MAX_PULSE_NODE_BYTES);
        noteInvalid(key, reason, reason);
        return;
      }
      const known = this.state.found.get(key);
      if (known && known.raw === raw) {
        if (!budget.keep()) return;
        read.found.set(key, known);
        return;
      }
      // The same invalid value as last time: skipped without parsing it again (it was reported then).
      const seen = this.invalidSeen.get(key);
      if (seen !== undefined && seen === textHash(raw)) {
        read.invalid.set(key, seen);
        return;
      }
      if (isMirroredNodeJson(raw)) {
        read.mirrors.add(key);
        return;
      }
      const parsed = parsePulseNode(raw);
      if (!parsed.ok) {
        noteInvalid(key, textHash(raw), parsed.error);
        return;
      }
      if (!budget.keep()) return;
      const heartbeat = pulseNodeToHeartbeat(parsed.value);
      const { meta: _served, ...node } = parsed.value;
      this.nodes.set(heartbeat, { node, json: raw });
      const app = toSafeKeyPart(parsed.value.service);
      read.found.set(key, { key, app, id: toSafeKeyPart(parsed.value.id), heartbeat, json: JSON.stringify(heartbeat), raw });
    };
    // Parsed in slices, as chunks arrive; the fetching stops once no further node could be kept.
    const parser = new SlicedParser<BoundedValue>((key, raw) => {
      take(key, raw);
      if (budget.full) fetcher.stop();
    });
    let unfetched = 0;
    // Deadlines count from before any value was asked for: at or before each key's real expiry.
    const sentAt = performance.now();
    const fetcher = new ChunkFetcher(
      redis,
      MAX_PULSE_NODE_BYTES,
      (chunk, values, ttlMs) => {
        unfetched -= chunk.length;
        chunk.forEach((key, i) => {
          const ttl = ttlMs[i] ?? -1;
          if (values[i] !== null) read.deadlines.set(key, ttl >= 0 ? sentAt + ttl : Number.POSITIVE_INFINITY);
        });
        parser.add(chunk, values);
      },
      signal,
      true,
    );
    let chunk: string[] = [];
    let chunkBytes = 0;
    for (let i = 0; i < ordered.length; i++) {
      const key = ordered[i] as string;
      const size = sizes[i];
      if (size === null || size === undefined) continue; // gone
      if (typeof size !== 'number' || size > MAX_PULSE_NODE_BYTES) {
        const reason = unreadReason(typeof size === 'number' ? { tooLarge: size } : size, MAX_PULSE_NODE_BYTES);
        noteInvalid(key, reason, reason);
        continue;
      }
      if (!budget.plan(size)) {
        // Left unread: a key known to hold junk stays known as such (not reported again when next read).
        const seen = this.invalidSeen.get(key);
        if (seen !== undefined) read.invalid.set(key, seen);
        continue;
      }
      read.bytes.set(key, size);
      chunk.push(key);
      chunkBytes += size;
      unfetched++;
      if (chunkBytes >= CHUNK_BYTES || chunk.length >= MGET_CHUNK) {
        fetcher.add(chunk);
        chunk = [];
        chunkBytes = 0;
      }
    }
    fetcher.add(chunk);
    await fetcher.done();
    await parser.done();
    // Cancelled at its deadline: this read changes no agent.
    signal?.throwIfAborted();
    // Planned keys never fetched: the count cap was reached first.
    read.leftOut = budget.leftOut + unfetched;
    return read;
  }

  /** Known agents first, then keys not seen before, then keys that held junk: junk never crowds out an agent. */
  private readingOrder(keys: readonly string[]): string[] {
    const agents: string[] = [];
    const unknown: string[] = [];
    const junk: string[] = [];
    for (const key of keys) {
      if (this.state.found.has(key)) agents.push(key);
      else if (this.invalidSeen.has(key)) junk.push(key);
      else unknown.push(key);
    }
    return [...agents, ...unknown, ...junk];
  }

  private noteCaps(leftOut: number, truncated: boolean): void {
    // The same keys are left out at every poll while the fleet stays past the caps: counted once (the rise).
    this.nodesLeftOut.add('nodes', leftOut);
    this.counts.leftOut += this.nodesLeftOut.settle();
    if (truncated) this.counts.truncatedScans++;
    if ((leftOut === 0 && !truncated) || this.capsLogged) return;
    this.capsLogged = true;
    this.log.warn(
      { leftOut, scanTruncated: truncated, ...this.limits },
      'Quasar node read capped: node keys left out; counted in pulse_bridge_quasar_dropped_total, logged once',
    );
  }

  /** The poll goes on with the last read's agents, marked stale; logged once per run of failures, always counted. */
  private keepLast(err: unknown, now: number): ReadonlyMap<string, AgentHeartbeat> {
    // The changes this poll took are not in the state: the next read reads every key.
    this.complete = false;
    this.counts.failedReads++;
    if (!this.stale) {
      const error = redisErrorText(err);
      this.stale = { since: now, error };
      this.log.warn(
        { err: error },
        "Quasar node read failed: the agents' last state is kept, marked stale (further failures in a row are only counted)",
      );
    }
    return this.state.found;
  }
}
