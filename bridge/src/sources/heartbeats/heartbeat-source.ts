import {
  ERRORS_SCAN_PATTERN,
  HEARTBEAT_SCAN_PATTERN,
  MAX_HEARTBEAT_BYTES,
  parseHeartbeatKey,
  QUASAR_NODE_KEY_PREFIX,
  SLOW_SCAN_PATTERN,
} from '@gravito/pulse-protocol';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type BoundedValue, ChunkFetcher } from '../../redis/bounded-get.js';
import { isTimeout } from '../../redis/command-refusal.js';
import type { RedisHandle } from '../../redis/connection.js';
import { nodeAddress } from '../../redis/node-address.js';
import { MGET_CHUNK, scanEach } from '../../redis/read.js';
import { InvalidationFeed, type Invalidations, TrackingRefused } from './invalidation-feed.js';

/** How heartbeats are read: only what changed (`tracking`), or every key every time (`scan`). */
export type HeartbeatReadPath = 'tracking' | 'scan';

/** Where a read hands what it finds, in arrival order. */
export interface HeartbeatSink {
  /** Called once, before any value: whether this read covers every key (else only keys changed since the last). */
  begin(everyKey: boolean): void;
  /** Values of well-formed keys; `null` for a key that is gone. */
  values(keys: readonly string[], values: readonly BoundedValue[]): void;
  /** A key under the prefix that is not `pulse:server:{app}:{id}`. */
  malformed(key: string): void;
}

export interface HeartbeatSourceOptions {
  /** Most heartbeat keys read (memory bound). */
  maxServers: number;
  /** `scan` reads every key every time, as before tracking. */
  path?: HeartbeatReadPath;
  /** A read of every key at least this often, even while tracking: a safety net, not part of correctness. */
  resyncEveryMs?: number;
  /**
   * Also tracks Zenith's agents' nodes (`gravito:quasar:node:`), for a Quasar read of only the nodes that changed:
   * the most nodes that read keeps (so many more changed keys are collected before the feed overflows).
   */
  quasarNodes?: number;
  /**
   * Told the round trip (ms) of each poll's barrier PING on the feeds (the slowest master's): a PING timed on its
   * own, which Redis answers after the invalidations it sent before it.
   */
  barrierAnswered?: (roundTripMs: number) => void;
  log: Logger;
}

/** What changed since the last poll besides heartbeats, by key (`HeartbeatSource.changes`). */
export interface OtherChanges {
  /** App feed keys (`pulse:slow:{app}`, `pulse:errors:{app}`). */
  feeds: ReadonlySet<string>;
  /** Zenith agents' node keys (with `quasarNodes`). */
  nodes: ReadonlySet<string>;
}

const DEFAULT_RESYNC_EVERY_MS = 5 * 60_000;
/** `pulse:server:`: the pattern less its `*`, the prefix Redis reports changes under. */
const HEARTBEAT_PREFIX = HEARTBEAT_SCAN_PATTERN.slice(0, -1);
/** `pulse:slow:` and `pulse:errors:`: the apps' feeds, tracked on the same connection so a poll reads only those that changed. */
const FEED_PREFIXES = [SLOW_SCAN_PATTERN.slice(0, -1), ERRORS_SCAN_PATTERN.slice(0, -1)];

/** Why a poll on the tracking path reads every key (`HeartbeatSource.resyncs`). */
export type FullReadReason = 'start' | 'reconnect' | 'flush' | 'overflow' | 'interval' | 'failure' | 'cap';

/**
 * A feed's connection could not be opened, for a reason other than a refusal or a timeout: refused (Redis at
 * `maxclients`, a connection limit on the way) or closed while it was set up. The bridge's other connections, open
 * already, may still read. (A feed slow to open, or to answer its barrier, fails the poll instead: Redis is slow
 * then, and a read of every key would only add to its load.)
 */
class FeedsUnavailable extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/** What one poll took from the feed. */
interface Taken {
  /** Heartbeat keys written, deleted, expired or evicted since the last poll, each once. */
  heartbeats: string[];
  /** App feed keys (`pulse:slow:{app}`, `pulse:errors:{app}`) changed since the last poll. */
  feeds: Set<string>;
  /** Zenith agents' node keys changed since the last poll. */
  nodes: Set<string>;
  /** Why this poll reads every key (and every app's feeds), if it does; decided once, when taken. */
  reason: FullReadReason | undefined;
  /** The count of closes when taken: a close after it leaves the next read to cover every key. */
  closes: number;
  /** The SCAN probe sent with the take (`probe`): a read of changes awaits it. */
  probe: Promise<unknown>;
}

/** Opens a feed on each master; if any fails, closes the others and rejects (with a refusal first, if any). */
async function openFeeds(masters: readonly Redis[], prefixes: readonly string[], maxKeys: number): Promise<Map<string, InvalidationFeed>> {
  const opened = await Promise.allSettled(masters.map((node) => InvalidationFeed.open(node, prefixes, maxKeys)));
  const failures = opened.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  if (failures.length > 0) {
    for (const result of opened) if (result.status === 'fulfilled') result.value.close();
    throw failures.find((err) => err instanceof TrackingRefused) ?? failures[0];
  }
  return new Map(opened.map((result, i) => [nodeAddress(masters[i] as Redis), (result as PromiseFulfilledResult<InvalidationFeed>).value]));
}

/** What several feeds collected, as one: every key, and a reason to read every key if any has one. */
function mergeInvalidations(taken: readonly Invalidations[]): Invalidations {
  if (taken.length === 1) return taken[0] as Invalidations;
  const keys = new Set<string>();
  for (const { keys: some } of taken) for (const key of some) keys.add(key);
  return { keys, resync: taken.find((t) => t.resync !== undefined)?.resync };
}

/** A key's expiry on this process's monotonic clock; `Infinity` when it has none. */
type Deadline = number;

/**
 * The heartbeat keys, read at a cost proportional to what changed. A subscribed connection is told by Redis of
 * every write, delete, expiry and eviction under `pulse:server:` (InvalidationFeed), so that a read fetches only
 * those keys, plus the keys whose time to live has run out (Redis deletes an expired key lazily, or when its
 * sampling finds it: the read asks for it on time itself). Every key is read, as before, at start, after the feed
 * or any of the bridge's connections closed (invalidations may have been lost), after a flush or an overflow of
 * the feed, after any failed read, past `maxServers`, and every `resyncEveryMs`.
 *
 * The same connection follows the apps' slow streams and exception sets, and Zenith's agents' nodes (`changes`): a
 * poll reads only the feeds and nodes that changed, and every app's feeds and every node whenever it reads every
 * heartbeat key.
 *
 * On a cluster, each master has its feed (tracking is per node); when the masters change (a failover, a node
 * added or removed) or any feed closes, every feed is opened anew and the read covers every key.
 *
 * Where Redis refuses tracking (an ACL without CLIENT, Redis < 6, a proxy), every read scans, as before: said
 * once in the log, and in `path`. Tracking is asked for again after any close and every `resyncEveryMs`: once
 * granted, reads follow changes again (said once in the log too).
 */
export class HeartbeatSource {
  /** One feed per master (the one Redis when standalone), by address: tracking is per node. */
  private feeds = new Map<string, InvalidationFeed>();
  /** The feeds being opened: a read given up at its deadline may still be opening them when the next read starts. */
  private opening: Promise<Map<string, InvalidationFeed>> | undefined;
  /** This poll's changes, taken by `changes` ahead of the read that uses them. */
  private taking: Promise<Taken> | undefined;
  /** Well-formed keys read last, with their deadlines (tracking), in the order they were found. */
  private known = new Map<string, Deadline>();
  /** No key in `known` has a deadline before this (it may be earlier than the earliest: then a walk finds none due). */
  private earliestDeadline = Number.NEGATIVE_INFINITY;
  /** Why the next read must cover every key, if it must. */
  private due: FullReadReason | undefined = 'start';
  /** Counts closes of the bridge's connections: a read that saw one go by leaves the next read to cover every key. */
  private closes = 0;
  private lastEveryKeyAt = Number.NEGATIVE_INFINITY;
  private decided: HeartbeatReadPath | undefined;
  /**
   * When Redis last refused tracking, and the count of closes then: tracking is asked for again after any close
   * (Redis restarted, upgraded or failed over) and every `resyncEveryMs`, so that an ACL granted later, a Redis
   * upgraded or a proxy taken away is followed without a restart of the bridge.
   */
  private refused: { at: number; closes: number } | undefined;
  private closed = false;
  /** The last poll could not open the feeds and read every key instead (said once a streak in the log). */
  private feedsUnavailable = false;
  /** Reads of every key while tracking, by why. */
  readonly resyncs: Record<FullReadReason, number> = { start: 0, reconnect: 0, flush: 0, overflow: 0, interval: 0, failure: 0, cap: 0 };

  constructor(
    private readonly redis: RedisHandle,
    private readonly options: HeartbeatSourceOptions,
  ) {
    if (options.path === 'scan') this.decided = 'scan';
    // A connection that closed may have missed what the feed announced meanwhile (or its reads were cut short).
    const reset = () => {
      this.closes++;
      this.due ??= 'reconnect';
    };
    redis.client.on('close', reset);
    if (redis.cluster) redis.client.on('-node', reset);
    else for (const node of redis.masters()) node.on('close', reset);
  }

  /**
   * The path reads take: scan while Redis refuses tracking, and while the invalidation feed cannot be opened (every
   * poll then reads every key, as on the scan path, even before tracking was ever granted); undefined until the
   * first read decided it.
   */
  get path(): HeartbeatReadPath | undefined {
    return this.feedsUnavailable ? 'scan' : this.decided;
  }

  /**
   * One read into `sink`. Once `signal` aborts, nothing further is sent or handed over, and the next read covers
   * every key. Resolves with whether `maxServers` left keys out.
   */
  async read(sink: HeartbeatSink, signal?: AbortSignal): Promise<{ truncated: boolean }> {
    // Taken by this poll's `changes`, or now when the poll did not ask (a read on its own).
    const prepared = this.taking;
    this.taking = undefined;
    if (this.decided === 'scan' && !this.askAgain()) return this.readEveryKey(sink, false, signal);
    const taking = prepared ?? this.take();
    try {
      const taken = await taking;
      let result = { truncated: false };
      if (taken.reason === undefined) await this.readChanged(taken.heartbeats, sink, signal, taken.probe);
      else {
        this.resyncs[taken.reason]++;
        result = await this.readEveryKey(sink, true, signal);
      }
      if (this.closes === taken.closes) this.due = undefined;
      return result;
    } catch (err) {
      this.due ??= 'failure';
      if (err instanceof TrackingRefused) {
        this.fallBack(`redis refuses tracking (${err.message})`);
        return this.readEveryKey(sink, false, signal);
      }
      if (!(err instanceof FeedsUnavailable)) throw err;
      // Only the feeds' connections failed: this poll reads every key on the others, as the scan path does (it
      // fails in turn if Redis is away), and the next asks for the feeds again.
      const result = await this.readEveryKey(sink, true, signal);
      this.resyncs.failure++;
      if (!this.feedsUnavailable)
        this.options.log.warn(`heartbeats: the invalidation feed cannot be opened (${err.message}); polls read every key until it can`);
      this.feedsUnavailable = true;
      return result;
    }
  }

  /**
   * Takes this poll's changes for the `read` that follows (the same poll's) and says which app feed keys and node
   * keys changed since the last poll: `undefined` when every app's feeds and every node must be read (this poll
   * reads every heartbeat key, the path scans, or the feed failed). Never rejects: a failure is the read's to report.
   */
  async changes(): Promise<OtherChanges | undefined> {
    if (this.decided === 'scan') return undefined;
    // A poll that took changes and never read them: what it took is lost, so the next read covers every key.
    if (this.taking !== undefined) this.due ??= 'failure';
    const taking = this.take();
    taking.catch(() => {});
    this.taking = taking;
    try {
      const taken = await taking;
      return taken.reason === undefined ? { feeds: taken.feeds, nodes: taken.nodes } : undefined;
    } catch {
      return undefined;
    }
  }

  /** The last read's values were not all applied (its poll failed after it): the next read covers every key. */
  readEveryKeyNext(): void {
    this.due ??= 'failure';
  }

  close(): void {
    this.closed = true;
    this.closeFeeds();
  }

  private closeFeeds(): void {
    for (const feed of this.feeds.values()) feed.close();
    this.feeds = new Map();
  }

  /** Every change Redis announced before this call, split into heartbeat and feed keys, and whether every key is due. */
  private async take(): Promise<Taken> {
    const closes = this.closes;
    // Sent beside the feeds' barrier, so that both answers come back together (one wake of the loop, not two);
    // not when a read of every key is already due (its own SCAN tells the same).
    const probe = this.due === undefined && this.redis.masters().length > 0 ? this.probe() : Promise.resolve();
    const invalidations = await this.armed();
    // The feed's keys are each there once: heartbeat keys go in a list (the most numerous; no set to build).
    const heartbeats: string[] = [];
    const feeds = new Set<string>();
    const nodes = new Set<string>();
    for (const key of invalidations.keys) {
      if (key.startsWith(HEARTBEAT_PREFIX)) heartbeats.push(key);
      else (key.startsWith(QUASAR_NODE_KEY_PREFIX) ? nodes : feeds).add(key);
    }
    return { heartbeats, feeds, nodes, reason: this.everyKeyReason(invalidations.resync, heartbeats), closes, probe };
  }

  /**
   * One SCAN step of one key (microseconds of Redis), for a read of changes: the read of every key this path falls
   * back on must stay possible, so that a permission lost shows in this poll, not at the next read of every key.
   */
  private probe(): Promise<unknown> {
    const probe = this.mainConnection().scan('0', 'MATCH', HEARTBEAT_SCAN_PATTERN, 'COUNT', 1);
    probe.catch(() => {});
    return probe;
  }

  /**
   * The feeds, one per master, open and caught up: every invalidation Redis sent before this call is in what it
   * returns. Feeds found closed, or for masters that changed, are opened again once (then this read covers every
   * key: what they missed is unknown).
   */
  private async armed(): Promise<Invalidations> {
    for (let attempt = 0; ; attempt++) {
      const masters = this.redis.masters();
      if (masters.length === 0) throw new Error('no redis master known yet');
      const addresses = masters.map(nodeAddress);
      const changed =
        addresses.length !== this.feeds.size || addresses.some((address) => !this.feeds.has(address) || this.feeds.get(address)?.broken);
      if (changed && this.feeds.size > 0) {
        this.closeFeeds();
        this.due ??= 'reconnect';
      }
      if (this.feeds.size === 0) {
        this.opening ??= openFeeds(masters, this.prefixes(), this.options.maxServers + (this.options.quasarNodes ?? 0)).finally(() => {
          this.opening = undefined;
        });
        this.feeds = await this.opening.catch((err: unknown) => {
          throw err instanceof TrackingRefused || isTimeout(err) ? err : new FeedsUnavailable(err);
        });
        if (this.closed) {
          // Closed while they opened (the bridge stopping): nothing may stay connected.
          this.close();
          throw new Error('heartbeat source closed');
        }
        this.refused = undefined;
        if (this.decided !== 'tracking' || this.feedsUnavailable)
          this.options.log.info(
            `heartbeats: reading only what changed (redis client-side tracking${this.redis.cluster ? `, on each of ${masters.length} masters` : ''})`,
          );
        this.decided = 'tracking';
        this.feedsUnavailable = false;
      }
      const feeds = [...this.feeds.values()];
      try {
        const roundTrips = await Promise.all(feeds.map((feed) => feed.barrier()));
        this.options.barrierAnswered?.(Math.max(...roundTrips));
        return mergeInvalidations(feeds.map((feed) => feed.take()));
      } catch (err) {
        if (!feeds.some((feed) => feed.broken) || attempt > 0) throw err;
      }
    }
  }

  /** The key prefixes the feeds follow. */
  private prefixes(): string[] {
    return [HEARTBEAT_PREFIX, ...FEED_PREFIXES, ...(this.options.quasarNodes === undefined ? [] : [QUASAR_NODE_KEY_PREFIX])];
  }

  private everyKeyReason(resync: Invalidations['resync'], changed: readonly string[]): FullReadReason | undefined {
    if (this.due !== undefined) return this.due;
    if (resync) return resync;
    if (performance.now() - this.lastEveryKeyAt >= (this.options.resyncEveryMs ?? DEFAULT_RESYNC_EVERY_MS)) return 'interval';
    // Past the cap, which keys are kept is decided as before: by a read of every key, in scan order. (The new keys
    // are counted only when the changes could take the known ones past it.)
    if (this.known.size + changed.length <= this.options.maxServers) return undefined;
    let added = 0;
    for (const key of changed) if (!this.known.has(key)) added++;
    if (this.known.size + added > this.options.maxServers) return 'cap';
    return undefined;
  }

  /** Only the keys Redis said changed, and those whose time to live ran out. */
  private async readChanged(
    changed: readonly string[],
    sink: HeartbeatSink,
    signal: AbortSignal | undefined,
    probe: Promise<unknown>,
  ): Promise<void> {
    const now = performance.now();
    let toRead: Iterable<string> = changed;
    // The walk of every known key only once the earliest deadline has come.
    if (this.earliestDeadline <= now) {
      this.earliestDeadline = Number.POSITIVE_INFINITY;
      const due: string[] = [];
      for (const [key, deadline] of this.known) {
        if (deadline <= now) due.push(key);
        else this.earliestDeadline = Math.min(this.earliestDeadline, deadline);
      }
      // Some may have been announced too: each key read once.
      if (due.length > 0) toRead = new Set([...changed, ...due]);
    }
    sink.begin(false);
    const keys: string[] = [];
    for (const key of toRead) {
      // A known key was well-formed when found, and still is.
      if (this.known.has(key) || parseHeartbeatKey(key)) keys.push(key);
      else sink.malformed(key);
    }
    await this.fetch(keys, sink, signal, now, true);
    await probe;
  }

  /**
   * Every key: the keys read last are fetched at once, while `SCAN MATCH pulse:server:*` runs on its own
   * connection (the scan waits on Redis, the parsing on the CPU, so they overlap); keys the scan finds beyond
   * them follow. The scan's set of distinct well-formed keys is the next read's list of known keys.
   */
  private async readEveryKey(sink: HeartbeatSink, withTtl: boolean, signal?: AbortSignal): Promise<{ truncated: boolean }> {
    const startedAt = performance.now();
    sink.begin(true);
    const previous = this.known;
    const deadlines = new Map<string, Deadline>();
    const fetcher = this.fetcher(sink, signal, startedAt, withTtl, deadlines);
    let batch: string[] = [];
    const flush = () => {
      fetcher.add(batch);
      batch = [];
    };
    for (const key of previous.keys()) {
      batch.push(key);
      if (batch.length >= MGET_CHUNK) flush();
    }
    flush();
    const malformed: string[] = [];
    const scan = await scanEach(
      this.redis,
      HEARTBEAT_SCAN_PATTERN,
      this.options.maxServers,
      (key) => {
        // A key read last was well-formed then, and is now.
        if (previous.has(key)) return;
        if (!parseHeartbeatKey(key)) {
          malformed.push(key);
          sink.malformed(key);
          return;
        }
        batch.push(key);
        if (batch.length >= MGET_CHUNK) flush();
      },
      signal,
    );
    flush();
    await fetcher.done();
    for (const key of malformed) scan.keys.delete(key);
    const known = new Map<string, Deadline>();
    for (const key of scan.keys) known.set(key, deadlines.get(key) ?? Number.POSITIVE_INFINITY);
    this.known = known;
    this.earliestDeadline = Number.NEGATIVE_INFINITY;
    this.lastEveryKeyAt = startedAt;
    return { truncated: scan.truncated };
  }

  private async fetch(
    keys: string[],
    sink: HeartbeatSink,
    signal: AbortSignal | undefined,
    sentAt: number,
    withTtl: boolean,
  ): Promise<void> {
    // Each key's deadline goes straight into the known keys (a failed read leaves the next to cover every key).
    const fetcher = this.fetcher(sink, signal, sentAt, withTtl, this.known);
    for (let start = 0; start < keys.length; start += MGET_CHUNK) fetcher.add(keys.slice(start, start + MGET_CHUNK));
    await fetcher.done();
  }

  /**
   * Fetches chunks into `sink`, noting each key still there with its deadline in `deadlines` (and the earliest),
   * and removing from it each key that is gone. A deadline counts from before the read was sent, so it falls at or
   * before the key's real expiry: read again early, never late.
   */
  private fetcher(
    sink: HeartbeatSink,
    signal: AbortSignal | undefined,
    sentAt: number,
    withTtl: boolean,
    deadlines: Map<string, Deadline>,
  ): ChunkFetcher {
    return new ChunkFetcher(
      this.redis,
      MAX_HEARTBEAT_BYTES,
      (keys, values, ttlMs) => {
        // A chunk that lands after the deadline belongs to a read already given up.
        if (signal?.aborted) return;
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i] as string;
          if (values[i] === null) {
            deadlines.delete(key);
            continue;
          }
          const ttl = ttlMs[i] ?? -1;
          const deadline = ttl >= 0 ? sentAt + ttl : Number.POSITIVE_INFINITY;
          deadlines.set(key, deadline);
          if (deadline < this.earliestDeadline) this.earliestDeadline = deadline;
        }
        sink.values(keys, values);
      },
      signal,
      withTtl,
    );
  }

  /** The connection the read's SCAN probe runs on (the first master). */
  private mainConnection() {
    const [node] = this.redis.masters();
    if (!node) throw new Error('no redis connection');
    return node;
  }

  /** Whether a poll on the scan path, taken because Redis refused tracking, asks for tracking again. */
  private askAgain(): boolean {
    if (this.refused === undefined) return false;
    const { at, closes } = this.refused;
    return this.closes !== closes || performance.now() - at >= (this.options.resyncEveryMs ?? DEFAULT_RESYNC_EVERY_MS);
  }

  private fallBack(why: string): void {
    this.refused = { at: performance.now(), closes: this.closes };
    // Tracking, if asked for again and granted, starts afresh with a read of every key.
    this.due = 'start';
    this.closeFeeds();
    // Said once: a refusal when asked again says nothing new.
    if (this.decided === 'scan') return;
    this.decided = 'scan';
    this.options.log.warn(`heartbeats: ${why}; every poll reads every key (pulse_bridge_heartbeat_read_path)`);
  }
}
