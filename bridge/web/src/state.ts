import type {
  AppDelta,
  AppHealth,
  AppSnapshot,
  ErrorEntry,
  ErrorGroupJson,
  PulseErrorEvent,
  PulseHeartbeat,
  PulseSlowEvent,
  ServerSnapshot,
  SlowEntry,
  SystemPulseDeltaEvent,
  SystemPulseEvent,
} from './protocol.js';

/** Points kept per sparkline: one per heartbeat, so about a minute at the SDK's 2–5 s interval. */
export const HISTORY_POINTS = 30;
/**
 * Slow entries kept per app (newest first), of every kind: the recent window the Live view's slow cards group by
 * name (count, slowest, newest). The page asks the JSON API for as many when it opens.
 */
export const SLOW_KEPT = 200;
/** Exception groups kept per app; the least recent group goes first. */
export const ERROR_GROUPS_KEPT = 50;
/** A difference between the browser's and the bridge's clocks below this is delivery delay, not skew. */
const CLOCK_SKEW_MIN_MS = 5_000;
/** Live exceptions remembered per app until its history arrives, to count on top of that history. */
const EARLY_ERRORS_KEPT = 200;

export interface ServerState {
  readonly key: string;
  readonly app: string;
  readonly id: string;
  /** `online`, `lost` or `stopped`; a status a newer bridge may add is shown as it is named. */
  status: string;
  lastSeen: number;
  heartbeat: PulseHeartbeat;
  /** Host CPU and RAM use in %, oldest first, one point per heartbeat. */
  cpu: number[];
  ram: number[];
}

export interface SlowItem {
  streamId: string;
  entry: SlowEntry;
}

export interface ErrorGroup {
  fingerprint: string;
  type: string;
  message: string;
  route: string | undefined;
  count: number;
  latest: number;
  serverId: string;
  traceId: string | undefined;
}

export interface AppState {
  readonly name: string;
  health: AppHealth;
  online: number;
  lost: number;
  /** Servers that shut down gracefully (`servers_stopped`, absent from older bridges). */
  stopped: number;
  slowPerMinute: number;
  errorsPerMinute: number;
  servers: Map<string, ServerState>;
  /** Server ids in display order (sorted); rebuilt only when the set of servers changes. */
  order: string[];
  slow: SlowItem[];
  errors: Map<string, ErrorGroup>;
  /** Whether `GET /api/pulse/errors` has answered for this app; until then live exceptions are also kept here. */
  errorHistoryLoaded: boolean;
  earlyErrors: ErrorEntry[];
}

/** What changed since the renderer last looked: the renderer touches only these. */
export interface Changes {
  /** Apps added or removed, or an app's set of servers changed. */
  structure: Set<string>;
  apps: Set<string>;
  servers: Set<ServerState>;
  slow: Set<string>;
  errors: Set<string>;
  status: boolean;
}

/** The figures an app carries in `system_pulse` and in a delta's `summary`. */
type AppSummaryFields = Omit<AppSnapshot, 'app' | 'servers'>;

function emptyChanges(): Changes {
  return { structure: new Set(), apps: new Set(), servers: new Set(), slow: new Set(), errors: new Set(), status: false };
}

function ramPercent(hb: PulseHeartbeat): number {
  const { memory_total: total, memory_free: free } = hb.system;
  return total > 0 ? (1 - free / total) * 100 : 0;
}

function pushBounded<T>(list: T[], value: T, cap: number): void {
  list.push(value);
  if (list.length > cap) list.splice(0, list.length - cap);
}

function groupOf(entry: ErrorEntry, count: number, latest: number): ErrorGroup {
  return {
    fingerprint: entry.fingerprint,
    type: entry.type,
    message: entry.message,
    route: entry.route,
    count,
    latest,
    serverId: entry.server_id,
    traceId: entry.trace_id,
  };
}

/**
 * The page's model of the feed: read → apply → mark what changed. It keeps what the feed does not (sparkline
 * history, the latest slow entries and exception groups), each bounded.
 */
export interface PollState {
  ok: boolean;
  error?: string;
  /** Age of the state when the event was sent; absent when no poll has succeeded yet. */
  dataAgeMs?: number;
}

export class PulseStore {
  readonly apps = new Map<string, AppState>();
  redisUp = true;
  redisError: string | undefined;
  /** Whether the bridge's last poll of Redis succeeded; when not, why, and how old the state on screen is. */
  poll: PollState = { ok: true };
  /** Bridge time of the last `system_pulse`, and how far the browser's clock is ahead of the bridge's. */
  pulseAt = 0;
  clockOffsetMs = 0;
  private changes = emptyChanges();

  /** Bridge time now, by the browser's clock corrected for skew: "lost for" reads right on a skewed laptop. */
  bridgeNow(): number {
    return Date.now() - this.clockOffsetMs;
  }

  /** A full `system_pulse`: every app and server. Apps and servers it lacks are gone (forgotten by the bridge). */
  applySystemPulse(event: SystemPulseEvent): void {
    this.applyTime(event.timestamp, event.redis_up);
    this.setPoll(event);
    const listed = new Set(event.apps.map((a) => a.app));
    for (const name of this.apps.keys()) if (!listed.has(name)) this.forgetApp(name);
    for (const snapshot of event.apps) {
      const app = this.appOf(snapshot.app, snapshot);
      this.applySummary(app, snapshot);
      const ids = new Set(snapshot.servers.map((s) => s.id));
      const forgotten = [...app.servers.keys()].filter((id) => !ids.has(id));
      this.applyServers(app, snapshot.servers, forgotten);
    }
  }

  /**
   * A `system_pulse_delta` (stream `mode=delta`): only the apps and servers that changed since the previous event
   * of the same stream; every (re)connect starts again from a full `system_pulse`.
   */
  applySystemPulseDelta(event: SystemPulseDeltaEvent): void {
    this.applyTime(event.timestamp, event.redis_up);
    this.setPoll(event);
    for (const name of event.apps_forgotten) this.forgetApp(name);
    for (const delta of event.apps) this.applyAppDelta(delta);
  }

  private applyAppDelta(delta: AppDelta): void {
    const app = this.appOf(delta.app, delta.summary);
    if (delta.summary) this.applySummary(app, delta.summary);
    this.applyServers(app, delta.servers, delta.forgotten);
  }

  private applyTime(timestamp: number, redisUp: boolean): void {
    this.pulseAt = timestamp;
    // A few seconds are the poll and the transit, not a skewed clock: correcting for them would understate "lost for".
    const offset = Date.now() - timestamp;
    this.clockOffsetMs = Math.abs(offset) > CLOCK_SKEW_MIN_MS ? offset : 0;
    this.setRedis(redisUp, this.redisError);
  }

  private forgetApp(name: string): void {
    if (this.apps.delete(name)) this.changes.structure.add(name);
  }

  private appOf(name: string, summary: AppSummaryFields | undefined): AppState {
    let app = this.apps.get(name);
    if (!app) {
      app = {
        name,
        health: summary?.health ?? { score: 0, reasons: [] },
        online: 0,
        lost: 0,
        stopped: 0,
        slowPerMinute: 0,
        errorsPerMinute: 0,
        servers: new Map(),
        order: [],
        slow: [],
        errors: new Map(),
        errorHistoryLoaded: false,
        earlyErrors: [],
      };
      this.apps.set(name, app);
      this.changes.structure.add(name);
    }
    return app;
  }

  private applySummary(app: AppState, summary: AppSummaryFields): void {
    app.health = summary.health;
    app.online = summary.servers_online;
    app.lost = summary.servers_lost;
    app.stopped = summary.servers_stopped ?? 0;
    app.slowPerMinute = summary.slow_per_minute;
    app.errorsPerMinute = summary.errors_per_minute;
    this.changes.apps.add(app.name);
  }

  private applyServers(app: AppState, servers: readonly ServerSnapshot[], forgotten: readonly string[]): void {
    let membershipChanged = false;
    for (const server of servers) membershipChanged = this.applyServer(app, server) || membershipChanged;
    for (const id of forgotten) membershipChanged = app.servers.delete(id) || membershipChanged;
    if (membershipChanged) {
      app.order = [...app.servers.keys()].sort();
      this.changes.structure.add(app.name);
    }
  }

  /** Returns true when the server is new. */
  private applyServer(app: AppState, snapshot: ServerSnapshot): boolean {
    const existing = app.servers.get(snapshot.id);
    if (!existing) {
      const hb = snapshot.heartbeat;
      const server: ServerState = {
        key: `${app.name}/${snapshot.id}`,
        app: app.name,
        id: snapshot.id,
        status: snapshot.status,
        lastSeen: snapshot.last_seen,
        heartbeat: hb,
        cpu: [hb.system.cpu_usage],
        ram: [ramPercent(hb)],
      };
      app.servers.set(snapshot.id, server);
      this.changes.servers.add(server);
      return true;
    }
    const fresh = snapshot.heartbeat.timestamp !== existing.heartbeat.timestamp;
    if (fresh) {
      pushBounded(existing.cpu, snapshot.heartbeat.system.cpu_usage, HISTORY_POINTS);
      pushBounded(existing.ram, ramPercent(snapshot.heartbeat), HISTORY_POINTS);
    }
    if (fresh || snapshot.status !== existing.status || snapshot.last_seen !== existing.lastSeen) {
      existing.heartbeat = snapshot.heartbeat;
      existing.status = snapshot.status;
      existing.lastSeen = snapshot.last_seen;
      this.changes.servers.add(existing);
    }
    return false;
  }

  applySlow(event: PulseSlowEvent): void {
    const app = this.apps.get(event.app);
    if (!app || app.slow.some((s) => s.streamId === event.stream_id)) return;
    app.slow.unshift({ streamId: event.stream_id, entry: event.entry });
    app.slow.sort((a, b) => b.entry.timestamp - a.entry.timestamp);
    if (app.slow.length > SLOW_KEPT) app.slow.length = SLOW_KEPT;
    this.changes.slow.add(app.name);
  }

  /** The newest entries from `GET /api/pulse/slow`, merged with what the stream already brought. */
  loadSlowHistory(appName: string, entries: { stream_id: string; entry: SlowEntry }[]): void {
    for (const e of entries) this.applySlow({ app: appName, stream_id: e.stream_id, entry: e.entry });
  }

  applyError(event: PulseErrorEvent): void {
    const app = this.apps.get(event.app);
    if (!app) return;
    if (!app.errorHistoryLoaded && app.earlyErrors.length < EARLY_ERRORS_KEPT) app.earlyErrors.push(event.entry);
    this.countError(app, event.entry);
    this.changes.errors.add(app.name);
  }

  private countError(app: AppState, entry: ErrorEntry): void {
    const group = app.errors.get(entry.fingerprint);
    if (!group) {
      app.errors.set(entry.fingerprint, groupOf(entry, 1, entry.timestamp));
      this.trimErrorGroups(app);
    } else if (entry.timestamp >= group.latest) {
      Object.assign(group, groupOf(entry, group.count + 1, entry.timestamp));
    } else {
      group.count++;
    }
  }

  /**
   * Groups from `GET /api/pulse/errors`, counted by the bridge up to the moment it answered. Live exceptions that
   * arrived before it are counted again on top only when newer than their group's latest (the answer lacks them).
   */
  loadErrorHistory(appName: string, groups: ErrorGroupJson[]): void {
    const app = this.apps.get(appName);
    if (!app || app.errorHistoryLoaded) return;
    app.errors = new Map(groups.map((g) => [g.fingerprint, groupOf(g.sample, g.count, g.latest)]));
    const answeredLatest = new Map(groups.map((g) => [g.fingerprint, g.latest]));
    for (const entry of app.earlyErrors) {
      if (entry.timestamp > (answeredLatest.get(entry.fingerprint) ?? -1)) this.countError(app, entry);
    }
    app.errorHistoryLoaded = true;
    app.earlyErrors = [];
    this.trimErrorGroups(app);
    this.changes.errors.add(app.name);
  }

  private trimErrorGroups(app: AppState): void {
    while (app.errors.size > ERROR_GROUPS_KEPT) {
      let oldest: ErrorGroup | undefined;
      for (const g of app.errors.values()) if (!oldest || g.latest < oldest.latest) oldest = g;
      if (!oldest) break;
      app.errors.delete(oldest.fingerprint);
    }
  }

  /**
   * From a `system_pulse`, a delta or a `pulse_status`. A bridge that predates these fields never says `poll_ok`:
   * its state reads as current, as it always did.
   */
  setPoll(event: { poll_ok?: boolean; poll_error?: string; data_age_ms?: number }): void {
    const next: PollState = event.poll_ok === false ? { ok: false, error: event.poll_error, dataAgeMs: event.data_age_ms } : { ok: true };
    const now = this.poll;
    if (now.ok === next.ok && now.error === next.error && now.dataAgeMs === next.dataAgeMs) return;
    this.poll = next;
    this.changes.status = true;
  }

  setRedis(up: boolean, error: string | undefined): void {
    const message = up ? undefined : error;
    if (up === this.redisUp && message === this.redisError) return;
    this.redisUp = up;
    this.redisError = message;
    this.changes.status = true;
  }

  /** Marks servers whose "lost for …" text moves with the clock. */
  touchTimedServers(): void {
    for (const app of this.apps.values()) {
      for (const server of app.servers.values()) if (server.status !== 'online') this.changes.servers.add(server);
    }
  }

  hasChanges(): boolean {
    const c = this.changes;
    return c.status || c.structure.size + c.apps.size + c.servers.size + c.slow.size + c.errors.size > 0;
  }

  takeChanges(): Changes {
    const taken = this.changes;
    this.changes = emptyChanges();
    return taken;
  }
}
