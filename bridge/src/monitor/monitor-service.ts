import type { AppSnapshot, AppSummary, PulseErrorEvent, PulseSlowEvent, PulseStatusEvent, SystemPulseEvent } from '@gravito/pulse-protocol';
import type { Logger } from 'pino';
import { InvalidValues } from '../lib/invalid-values.js';
import { yieldToLoop } from '../lib/loop-slice.js';
import type { RedisHandle } from '../redis/connection.js';
import { redisErrorText } from '../redis/error-text.js';
import { MemoryWatch, type RedisMemory } from '../redis/memory-watch.js';
import { withCancellingDeadline, withDeadline } from '../redis/read.js';
import { type RefusedRead, readRefusal } from '../redis/refusals.js';
import { type HeartbeatReadPath, HeartbeatSource } from '../sources/heartbeats/heartbeat-source.js';
import type { QuasarReader } from '../sources/quasar/reader.js';
import { AgentRecords } from './agent-records.js';
import { AppFeeds } from './app-feeds.js';
import { appTotals, Pace, placeOf, recordsByApp } from './app-servers.js';
import { Caps } from './caps.js';
import { Clock } from './clock.js';
import { healthOfTotals } from './health.js';
import { HeartbeatView } from './heartbeat-view.js';
import { InvalidFeeds } from './invalid-feeds.js';
import { PollHealth } from './poll-health.js';
import { RedisLiveness } from './redis-liveness.js';
import { type ServerRecord, ServerRegistry } from './server-registry.js';
import {
  type EncodedApp,
  type EncodedDocument,
  type EncodedServer,
  emptySystemPulse,
  encodeSystemPulse,
  type PulseHead,
  servedAs,
  withHead,
} from './snapshot-encoding.js';

export interface MonitorOptions {
  intervalMs: number;
  lostAfterMs: number;
  forgetAfterMs: number;
  /** Bound of one tick's Redis work; past it the tick fails (and a PING tells whether Redis is down). */
  tickTimeoutMs: number;
  /** The client's command timeout, which bounds the liveness PING (`tickTimeoutMs` when not given). */
  redisTimeoutMs?: number;
  /** Most heartbeat keys read per tick (memory bound). */
  maxServers?: number;
  /** Most apps whose slow stream and exceptions are followed. */
  maxApps?: number;
  /** Also reads Zenith's agents (`gravito:quasar:node:*`) into the same snapshot. */
  quasar?: QuasarReader;
  /** `scan` reads every heartbeat every tick, as before tracking (benchmarks compare the two; the default tracks). */
  heartbeatReads?: HeartbeatReadPath;
  /** A read of every heartbeat at least this often while tracking (HeartbeatSource's default when not given). */
  heartbeatResyncEveryMs?: number;
  /** The time a poll takes as now (`Date.now` when not given): a test polls two bridges at one time. */
  wallClock?: () => number;
}

/** What `/readyz` answers: ready only while polls read Redis. */
export interface Readiness extends Pick<PulseStatusEvent, 'redis_up' | 'poll_ok' | 'poll_error' | 'data_age_ms'> {
  status: 'ready' | 'redis unreachable' | 'polls failing';
}

/** The last state the poller produced; every consumer (SSE, JSON API, /metrics) serves this one. */
export interface Snapshot {
  event: SystemPulseEvent;
  /**
   * `event` as JSON bytes, encoded once per tick for every reader (SSE clients, the JSON API), from per-server
   * JSON text that is itself built once per heartbeat.
   */
  document: EncodedDocument;
  /** The apps and servers it was encoded from: the delta stream compares them between ticks. */
  apps: readonly EncodedApp[];
  /** How long the tick that produced it took; NaN before the first poll that succeeded (not known, never 0). */
  tickMs: number;
}

export interface MonitorListener {
  snapshot?(snapshot: Snapshot): void;
  slow?(events: readonly PulseSlowEvent[]): void;
  error?(events: readonly PulseErrorEvent[]): void;
  status?(status: PulseStatusEvent): void;
}

/** What the last snapshot was built from: while it stays the same, a new build would say what the last one did. */
interface BuiltFrom {
  /** The heartbeats read, as of this version of the view (`HeartbeatView.version`). */
  view: number;
  /** Zenith's agents read (the same map while the reads found none changed). */
  agents: Map<string, ServerRecord> | undefined;
  /**
   * Until when the registry and every server's status stay as built: the first moment a server goes lost, or a
   * lost one is forgotten, with time alone.
   */
  until: number;
  /**
   * Per app, as built: what its summary took from its feeds (rates, unreadable feeds; rates fall with time), and
   * the first moment one of its servers' status may change with time alone.
   */
  apps: Map<string, { feeds: string; until: number }>;
  /** Until when every app's rates stay as built unless a feed is read: the first moment one falls (`RateWindow.steadyUntil`). */
  ratesSteadyUntil: number;
}

/** What the log says, once, when Redis refuses a way of reading (the reads take their other path from then on). */
const REFUSAL_MESSAGES: Readonly<Record<RefusedRead, string>> = {
  scripts: 'redis refuses scripts: values are read with GETRANGE, one command per key (the same size bound, more work for the bridge)',
  pipelined:
    'redis refuses GETRANGE or PTTL: changed heartbeats are read through the bounded-read script (the same values, more Redis CPU per key)',
};
const REFUSED_READS = Object.keys(REFUSAL_MESSAGES) as RefusedRead[];

/** Servers aggregated (and, when changed, encoded) per slice. */
const SNAPSHOT_SLICE = 250;
const DEFAULT_MAX_SERVERS = 200_000;
const DEFAULT_MAX_APPS = 1_000;
/** Apps whose slow and error reads are in flight at once (each read is one page of at most a few MB). */
const _TAIL_CONCURRENCY = 64;

/**
 * MonitorService: the one poller. Every interval it reads Redis once (heartbeats, then each app's new slow
 * entries and exceptions), validates everything, aggregates by app, and hands the result to its listeners.
 * However many SSE clients or scrapes there are, Redis sees one poll per interval.
 */
export class MonitorService {
  readonly invalid: InvalidValues;
  /** The bridge's clock and its rule for writers' timestamps from the future. */
  readonly clock: Clock;
  /** What the caps left out. */
  readonly caps: Caps;
  /** Apps whose slow or error key holds another type. */
  readonly feeds: InvalidFeeds;
  private readonly memoryWatch: MemoryWatch;
  private readonly registry: ServerRegistry;
  /** Every followed app's slow and error feeds. */
  readonly appFeeds: AppFeeds;
  private readonly listeners = new Set<MonitorListener>();
  private last: Snapshot;
  private redisUp = false;
  private lastError: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private tickCount = 0;
  /** Reads the heartbeat keys: all of them, or only those changed since the last read (its `path` says which). */
  readonly heartbeats: HeartbeatSource;
  /** The valid heartbeats as records, as of the last read. */
  private readonly heartbeatView: HeartbeatView;
  /** Whether polls succeed, and how old the state served is. */
  readonly polls: PollHealth;
  /** A poll failed since the feeds were last read in full: the next reads every app's feeds, changed or not. */
  private everyFeedNext = true;
  /** What the last snapshot was built from, to reuse it while nothing it shows changed (see `unchanged`). */
  private built: BuiltFrom | undefined;
  /** The registry's apps, as of its last update: the apps whose feeds are followed. */
  private registryApps: string[] = [];
  /** The refusals already said in the log (`noteRefusals`: once each, it is a setting, not an event). */
  private readonly refusalsLogged = new Set<RefusedRead>();
  /** The bridge's own connections last said to be away (`noteAwayConnections`): their names. */
  private awaySaid = '';
  /** Zenith's agents as the registry was last updated with them. */
  private appliedAgents: Map<string, ServerRecord> | undefined;
  /** The last poll's heartbeats and agents, and the two merged (`withAgents`). */
  private merged: { view: number; agents: Map<string, ServerRecord>; found: Map<string, ServerRecord> } | undefined;
  /** Zenith's agents as records, and how many the last snapshot holds. */
  readonly agents: AgentRecords;
  readonly liveness: RedisLiveness;

  constructor(
    private readonly redis: RedisHandle,
    private readonly options: MonitorOptions,
    private readonly log: Logger,
  ) {
    this.invalid = new InvalidValues(log);
    this.clock = new Clock(log);
    this.agents = new AgentRecords(this.clock);
    this.caps = new Caps(log);
    this.feeds = new InvalidFeeds(this.invalid);
    this.appFeeds = new AppFeeds(redis, this.feeds, this.invalid, this.clock, this.caps, {
      maxApps: options.maxApps ?? DEFAULT_MAX_APPS,
      startedAt: Date.now(),
    });
    this.polls = new PollHealth(log);
    this.memoryWatch = new MemoryWatch(redis, options.tickTimeoutMs, log);
    this.liveness = new RedisLiveness(() => redis.client, options.redisTimeoutMs ?? options.tickTimeoutMs);
    this.heartbeats = new HeartbeatSource(redis, {
      maxServers: options.maxServers ?? DEFAULT_MAX_SERVERS,
      path: options.heartbeatReads,
      resyncEveryMs: options.heartbeatResyncEveryMs,
      quasarNodes: options.quasar?.maxNodes,
      barrierAnswered: (roundTripMs) => this.liveness.answered(roundTripMs),
      log,
    });
    this.registry = new ServerRegistry({
      lostAfterMs: options.lostAfterMs,
      forgetAfterMs: options.forgetAfterMs,
      maxRemembered: options.maxServers ?? DEFAULT_MAX_SERVERS,
    });
    this.heartbeatView = new HeartbeatView(this.heartbeats, this.registry, this.invalid, this.clock, this.caps, {
      maxServers: options.maxServers ?? DEFAULT_MAX_SERVERS,
    });
    const head = this.head(Date.now());
    this.last = { event: { ...head, apps: [] }, document: emptySystemPulse(head), apps: [], tickMs: Number.NaN };
  }

  subscribe(listener: MonitorListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The last aggregate (never waits on Redis). */
  getAggregateMetrics(): SystemPulseEvent {
    return this.last.event;
  }

  lastSnapshot(): Snapshot {
    return this.last;
  }

  isRedisUp(): boolean {
    return this.redisUp;
  }

  /** Polls that failed while Redis answered PING (the last state kept, flagged as not current). */
  get failedPolls(): number {
    return this.polls.failedWhileRedisUp;
  }

  /**
   * Ready when the last poll read Redis: not when Redis merely answers PING, since a Redis that answers PING can
   * still refuse every poll (permissions, renamed commands, a failed cluster), and the state served then grows old.
   */
  readiness(): Readiness {
    const status = !this.redisUp ? 'redis unreachable' : this.polls.ok ? 'ready' : 'polls failing';
    return { status, redis_up: this.redisUp, poll_ok: this.polls.ok, ...this.polls.failureFields(Date.now()) };
  }

  /**
   * Redis's memory as last read (`INFO memory`, at a low rate), while Redis answers: undefined until the first read,
   * and during an outage, when whether it is full is not known (the last read may be long past).
   */
  redisMemory(): RedisMemory | undefined {
    return this.redisUp ? this.memoryWatch.memory : undefined;
  }

  statusEvent(): PulseStatusEvent {
    const now = Date.now();
    const memory = this.redisMemory();
    return {
      timestamp: now,
      redis_up: this.redisUp,
      // Absent while unknown (not read yet, Redis away, or refusing INFO): never false for a state nobody read.
      ...(memory ? { redis_oom: memory.oom } : {}),
      ...(this.redisUp || !this.lastError ? {} : { error: this.lastError.slice(0, 512) }),
      poll_ok: this.polls.ok,
      ...this.polls.failureFields(now),
    };
  }

  /** A `system_pulse` head at `now`: flagged (poll_ok false, why, how old) when the last poll failed. */
  private head(now: number): PulseHead {
    return { timestamp: now, redis_up: this.redisUp, ...this.polls.failureFields(now) };
  }

  get ticks(): number {
    return this.tickCount;
  }

  /**
   * Starts polling, then one tick per interval (never two at once). The first tick waits for the connection
   * (up to 1 s), so that a normal start does not report Redis down for its first interval.
   */
  start(): void {
    if (this.timer || this.stopped) return;
    this.schedule(this.redis.ready() ? 0 : Math.min(this.options.intervalMs, 1_000));
  }

  /** Polls now rather than at the next interval (e.g. Redis just came back); ignored while a tick runs. */
  requestTick(): void {
    if (this.stopped || this.running || !this.timer) return;
    clearTimeout(this.timer);
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => void this.loop(), delayMs);
    this.timer.unref();
  }

  private async loop(): Promise<void> {
    const started = Date.now();
    this.running = this.tick();
    await this.running;
    this.running = undefined;
    if (this.stopped) return;
    this.schedule(Math.max(0, this.options.intervalMs - (Date.now() - started)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    this.heartbeats.close();
  }

  /** Marks Redis down at once (e.g. the connection closed) rather than at the next tick. */
  connectionLost(reason: string): void {
    // After stop() the bridge closes the connection itself: that is not an outage.
    if (this.redisUp && !this.stopped) this.setStatus(false, reason, false);
  }

  /**
   * One poll. Never throws. A failure keeps the last state, flagged as not current; whether it also marks Redis
   * down is decided by a PING timed on its own (`RedisLiveness`), not by the poll's failure or its time. Entries
   * are taken from their reads only once every read of the poll has succeeded, so a failed poll moves no cursor
   * and the next one reads them again (FeedRead).
   */
  async tick(): Promise<void> {
    const started = performance.now();
    const now = this.options.wallClock?.() ?? Date.now();
    this.clock.now = now;
    try {
      const unready = this.redis.unready();
      if (unready !== undefined) throw new Error(unready);
      // Sent first, so answered before the poll's reads, and not waited for: it only keeps the round-trip figure.
      // A poll that reads changes sends a PING anyway, the feeds' barrier, whose round trip liveness keeps instead.
      if (this.heartbeats.path !== 'tracking') this.liveness.ping().catch(() => {});
      const memory = this.memoryWatch.check(now);
      // The apps known so far are followed while the heartbeat scan runs: both wait on Redis, not on the CPU.
      // An app first seen in this scan is followed from the next tick (its entries since start are not lost).
      // Only the feeds and agents' nodes Redis said changed, when tracking tells (HeartbeatSource.changes).
      const apps = this.registryApps;
      const changes = this.heartbeats.changes();
      const tail = withDeadline(
        changes.then((changed) => this.appFeeds.read(apps, this.everyFeedNext ? undefined : changed?.feeds)),
        this.options.tickTimeoutMs,
        'slow and error reads',
      );
      tail.catch(() => {});
      // Never fails and settles by the deadline (a read past it is cancelled): a Quasar failure keeps the agents'
      // last state, marked stale, and never holds or fails this poll.
      const reader = this.options.quasar;
      const quasar =
        reader && changes.then((changed) => reader.poll(this.redis, this.invalid, now, this.options.tickTimeoutMs, changed?.nodes));
      const view = await withCancellingDeadline((signal) => this.scanHeartbeats(signal), this.options.tickTimeoutMs, 'heartbeat scan');
      this.noteRefusals();
      this.noteAwayConnections();
      const read = quasar && (await quasar);
      const agents = read && this.agents.of(read);
      const found = agents ? this.withAgents(view, agents) : view;
      const reads = await tail;
      // Every read of this poll succeeded: from here on nothing fails, and what was read is delivered.
      this.everyFeedNext = false;
      // The heartbeats the last snapshot was built from, before any status or memory is due to change: updating
      // the registry would change nothing (a walk of every server saved).
      const same =
        this.built !== undefined &&
        this.built.view === this.heartbeatView.version &&
        this.built.agents === agents &&
        now <= this.built.until;
      // The servers to look at in the build (their records as they now are): none when the registry is as built;
      // every one after it gained or lost a server, or after a read of every key (`applied` is undefined then).
      let changed: readonly ServerRecord[] | undefined = [];
      if (!same) {
        const { forgotten, membersChanged, applied } = this.registry.update(found, now, this.changedSinceUpdate(agents));
        changed = membersChanged ? undefined : applied;
        if (forgotten > 0) this.log.info({ forgotten }, 'forgot lost servers');
        if (membersChanged) this.registryApps = [...this.registry.apps()];
      }
      const slow = reads.flatMap((read) => read.slow.take());
      const errors = reads.flatMap((read) => read.errors.take());
      this.setStatus(true, undefined, this.polls.succeeded(now));
      if (await memory) this.memoryChanged();
      const feedsRead = reads.length > 0;
      this.last = (same ? this.unchanged(now, started, feedsRead) : undefined) ?? (await this.buildSnapshot(agents, now, started, changed));
      this.tickCount++;
      this.emit('snapshot', this.last);
      if (slow.length > 0) this.emit('slow', slow);
      if (errors.length > 0) this.emit('error', errors);
    } catch (err) {
      this.everyFeedNext = true;
      this.built = undefined;
      // Shutting down: the bridge is closing its own connection, which is not an outage.
      if (this.stopped) return;
      // Judged on the main connection, which the PING takes.
      const up = this.redis.ready() && (await this.liveness.ping().catch(() => undefined)) !== undefined;
      const pollChanged = this.polls.failed(err, up);
      this.setStatus(up, up ? undefined : redisErrorText(err), pollChanged);
      // Keep the last known state, flagged with its age (statuses frozen: without a poll, silence says nothing
      // about the servers).
      const head = this.head(now);
      this.last = { ...this.last, event: { ...this.last.event, ...head }, document: withHead(this.last.document, head) };
      this.tickCount++;
      this.emit('snapshot', this.last);
    }
  }

  /** The valid heartbeats by server identity, read again (HeartbeatView.read). */
  scanHeartbeats(signal?: AbortSignal): Promise<Map<string, ServerRecord>> {
    return this.heartbeatView.read(signal);
  }

  /**
   * The identities whose record may differ from what the registry was last updated with: the servers the reads of
   * changes since touched, and the agents whose record changed (`agents`, this poll's Zenith agents). Undefined
   * after a read of every key: then the registry looks at every server. Taken: the next call starts afresh.
   */
  private changedSinceUpdate(agents: Map<string, ServerRecord> | undefined): readonly string[] | undefined {
    const changed = this.heartbeatView.takeChanged();
    const applied = this.appliedAgents;
    this.appliedAgents = agents;
    if (changed === undefined || agents === applied) return changed;
    if (agents === undefined || applied === undefined) return undefined;
    agents.forEach((record, key) => {
      if (applied.get(key) !== record) changed.push(record.identity);
    });
    applied.forEach((record, key) => {
      if (agents.get(key) !== record) changed.push(record.identity);
    });
    return changed;
  }

  /**
   * The heartbeats with Zenith's agents added (`AgentRecords.mergeInto`): the same map as the last poll's while
   * neither changed, so that an unchanged poll is seen as one (the registry and snapshot are not rebuilt).
   */
  private withAgents(view: Map<string, ServerRecord>, agents: Map<string, ServerRecord>): Map<string, ServerRecord> {
    const last = this.merged;
    if (last?.view === this.heartbeatView.version && last.agents === agents) return last.found;
    // No agent: the heartbeats as they are (not a copy of every server, every poll).
    const found = agents.size === 0 ? view : new Map(view);
    this.agents.mergeInto(found, agents);
    this.merged = { view: this.heartbeatView.version, agents, found };
    return found;
  }

  /**
   * With the registry as built last (the same heartbeats, no status due to change yet): the last snapshot under a
   * new head, when every app's rates and feeds are as they were too, so that a new build would say exactly what it
   * does. Else undefined (build anew). A tick in which nothing changed then costs a walk of the apps, not of the
   * servers; none at all when it read no feed (`feedsRead`: only a read moves a rate up or an unreadable feed) and
   * no rate is due to fall yet.
   */
  private unchanged(now: number, started: number, feedsRead: boolean): Snapshot | undefined {
    const built = this.built as BuiltFrom;
    if (feedsRead || now > built.ratesSteadyUntil) {
      let steadyUntil = Number.POSITIVE_INFINITY;
      for (const [app, { feeds }] of built.apps) {
        if (this.appFeeds.summary(app, now).text !== feeds) return undefined;
        steadyUntil = Math.min(steadyUntil, this.appFeeds.steadyUntil(app));
      }
      built.ratesSteadyUntil = steadyUntil;
    }
    const head = this.head(now);
    const { event, document, apps } = this.last;
    return { event: { ...head, apps: event.apps }, document: withHead(document, head), apps, tickMs: performance.now() - started };
  }

  /**
   * Aggregates by app, giving the loop back between slices of servers; so does the encoding. What did not change
   * is reused rather than built again: a server's objects and text while its heartbeat and status stay the same
   * (`servedAs`), and an app's objects and encoded bytes while its servers and summary do. With `changed` (the
   * records the registry was updated with since the last build, no server added or forgotten), only those servers
   * and the ones whose status is due to change are looked at: the others are served as built last.
   */
  private async buildSnapshot(
    agents: Map<string, ServerRecord> | undefined,
    now: number,
    started: number,
    changed: readonly ServerRecord[] | undefined,
  ): Promise<Snapshot> {
    const last = this.built;
    const apps: AppSnapshot[] = [];
    const encoded: EncodedApp[] = [];
    const built: BuiltFrom = {
      view: this.heartbeatView.version,
      agents,
      until: Number.POSITIVE_INFINITY,
      apps: new Map(),
      ratesSteadyUntil: Number.POSITIVE_INFINITY,
    };
    // The last snapshot's apps by name, as served then (its event's apps and its encoded apps are in one order).
    const before = new Map<string, { snapshot: AppSnapshot; encoded: EncodedApp }>();
    this.last.apps.forEach((app, i) => {
      before.set(app.app, { snapshot: this.last.event.apps[i] as AppSnapshot, encoded: app });
    });
    // The last build patched, when there is one and every changed server's app is in it; else every server anew,
    // as when most servers changed (a walk of them all then costs less than finding each changed one's place).
    const changedByApp =
      changed === undefined || last === undefined || changed.length > this.registry.size / 2 ? undefined : recordsByApp(changed);
    const patching = changedByApp !== undefined && [...changedByApp.keys()].every((app) => before.has(app));
    const records = patching ? undefined : this.registry.byApp();
    const pace = new Pace(SNAPSHOT_SLICE);
    for (const app of records?.keys() ?? before.keys()) {
      const servers =
        records !== undefined
          ? await this.servedAnew(records.get(app) ?? [], now, pace)
          : await this.patched(before.get(app)?.encoded.servers ?? [], changedByApp?.get(app), last?.apps.get(app)?.until, now, pace);
      // Not in the last build: a server added (the registry says so, and then nothing is patched). Built anew.
      if (servers === undefined) return this.buildSnapshot(agents, now, started, undefined);
      // Each app's servers are walked once more for its totals.
      if (pace.counts(servers.length)) await yieldToLoop();
      const old = before.get(app);
      const { slowPerMinute, errorsPerMinute, invalidFeeds, text } = this.appFeeds.summary(app, now);
      built.ratesSteadyUntil = Math.min(built.ratesSteadyUntil, this.appFeeds.steadyUntil(app));
      const lastBuilt = last?.apps.get(app);
      // Served as built last, with the same feeds: the same app, without a walk of its servers.
      if (old !== undefined && lastBuilt !== undefined && servers === old.encoded.servers && lastBuilt.feeds === text) {
        built.apps.set(app, lastBuilt);
        built.until = Math.min(built.until, lastBuilt.until);
        apps.push(old.snapshot);
        encoded.push(old.encoded);
        continue;
      }
      const totals = appTotals(servers, old?.encoded.servers);
      built.apps.set(app, { feeds: text, until: totals.until });
      built.until = Math.min(built.until, totals.until);
      const summary: AppSummary = {
        health: healthOfTotals({ ...totals, slowPerMinute, errorsPerMinute }),
        servers_online: totals.online,
        servers_lost: totals.lost,
        servers_stopped: totals.stopped,
        slow_per_minute: slowPerMinute,
        errors_per_minute: errorsPerMinute,
        ...(invalidFeeds ? { invalid_feeds: invalidFeeds } : {}),
      };
      const summaryJson = JSON.stringify(summary);
      if (old !== undefined && totals.same && old.encoded.summary === summaryJson) {
        apps.push(old.snapshot);
        encoded.push(old.encoded);
        continue;
      }
      apps.push({ app, ...summary, servers: servers.map((server) => server.snapshot) });
      encoded.push({ app, summary: summaryJson, servers });
    }
    const head = this.head(now);
    const document = await encodeSystemPulse(head, encoded, this.last);
    const event: SystemPulseEvent = { ...head, apps };
    this.built = built;
    return { event, document, apps: encoded, tickMs: performance.now() - started };
  }

  /** Each of an app's records served at `now`, each record told its place. */
  private async servedAnew(records: readonly ServerRecord[], now: number, pace: Pace): Promise<EncodedServer[]> {
    const served: EncodedServer[] = [];
    for (const record of records) {
      if (pace.counts(1)) await yieldToLoop();
      record.place = served.length;
      served.push(this.serve(record, now));
    }
    return served;
  }

  /**
   * An app's servers as built last (`servers`), with its changed records served anew at their places, and, once
   * the app's first status change with time alone is due (`until`), each server whose status it is: the same array
   * when neither. Undefined when a record has no place there.
   */
  private async patched(
    servers: readonly EncodedServer[],
    changed: readonly ServerRecord[] | undefined,
    until: number | undefined,
    now: number,
    pace: Pace,
  ): Promise<readonly EncodedServer[] | undefined> {
    const due = now > (until ?? Number.NEGATIVE_INFINITY);
    if (changed === undefined && !due) return servers;
    const next = servers.slice();
    for (const record of changed ?? []) {
      if (pace.counts(1)) await yieldToLoop();
      const at = placeOf(next, record);
      if (at === undefined) return undefined;
      record.place = at;
      next[at] = this.serve(record, now);
    }
    if (due)
      for (let i = 0; i < next.length; i++) {
        const server = next[i] as EncodedServer;
        if (now <= server.changesAt) continue;
        if (pace.counts(1)) await yieldToLoop();
        next[i] = this.serve(server.record, now);
      }
    return next;
  }

  /** A server as served at `now`: its status, and until when it holds. */
  private serve(record: ServerRecord, now: number): EncodedServer {
    const status = this.registry.status(record, now);
    return servedAs(record, status, this.registry.statusChangesAt(record, status));
  }

  /** Redis refusing a read's commands: said once each in the log (the reads take their other path from then on). */
  private noteRefusals(): void {
    for (const read of REFUSED_READS) {
      if (this.refusalsLogged.has(read)) continue;
      const refusal = readRefusal(this.redis, read);
      if (refusal === undefined) continue;
      this.refusalsLogged.add(read);
      this.log.warn({ err: refusal }, REFUSAL_MESSAGES[read]);
    }
  }

  /**
   * The bridge's own connections that are away while the main one carries their reads (`RedisHandle.awayConnections`):
   * said when which ones changes, not at each poll (a refused connection is asked for again at every read).
   */
  private noteAwayConnections(): void {
    const away = this.redis.awayConnections();
    const names = away.map(({ connection }) => connection).join(' ');
    if (names === this.awaySaid) return;
    this.awaySaid = names;
    if (away.length > 0)
      this.log.warn(
        `redis: ${away.map(({ connection, why }) => `the ${connection} connection is away (${why})`).join('; ')}; the main connection carries its reads until it is back`,
      );
    else this.log.info('redis: the bridge reads on its own connections again');
  }

  /** Redis started or stopped refusing writes: said once in the log, and to every SSE client in `pulse_status`. */
  private memoryChanged(): void {
    const memory = this.memoryWatch.memory as RedisMemory;
    if (memory.oom)
      this.log.warn(memory, 'redis is out of memory (maxmemory, noeviction): it refuses writes, so servers will show as lost');
    else this.log.info(memory, 'redis accepts writes again');
    this.emit('status', this.statusEvent());
  }

  /**
   * Redis's reachability (`error`: why it is down) and the poll's outcome (`pollChanged`: polls started or stopped
   * failing): logged when reachability changes, and said to every SSE client in one `pulse_status` when either does.
   */
  private setStatus(up: boolean, error: string | undefined, pollChanged: boolean): void {
    const upChanged = up !== this.redisUp || (this.tickCount === 0 && !up);
    this.redisUp = up;
    this.lastError = error;
    if (upChanged) {
      if (up) this.log.info('redis reachable');
      else this.log.warn({ err: error }, 'redis unreachable');
    }
    if (upChanged || pollChanged) this.emit('status', this.statusEvent());
  }

  private emit<K extends keyof MonitorListener>(kind: K, payload: Parameters<NonNullable<MonitorListener[K]>>[0]): void {
    for (const listener of this.listeners) {
      try {
        (listener[kind] as ((p: typeof payload) => void) | undefined)?.(payload);
      } catch (err) {
        this.log.error({ err }, `${kind} listener failed`);
      }
    }
  }
}
