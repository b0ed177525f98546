import { SlowKind } from '@gravito/pulse-protocol';
import { type Logger, pino } from 'pino';
import { Counter, collectDefaultMetrics, Gauge, Histogram, type Metric, type OpenMetricsContentType, Registry } from 'prom-client';
import type { CapName } from '../../monitor/caps.js';
import type { MonitorService, Snapshot } from '../../monitor/monitor-service.js';
import type { FullReadReason } from '../../sources/heartbeats/heartbeat-source.js';
import type { SseBroadcaster } from '../sse/broadcaster.js';
import type { MetricsExtension, SnapshotFamilyRenderer } from './extension.js';
import { LABEL_BYTES, LabelCap, methodLabel } from './label-cap.js';
import { PULSE_METRICS as M, type MetricDefinition } from './names.js';
import { RenderFailures, renderRegistry } from './render-failures.js';
import { SnapshotFamilies } from './snapshot-families.js';
import { WindowMax } from './window-max.js';

export interface MetricsOptions {
  maxRoutesPerApp: number;
  maxTypesPerApp?: number;
  /** Bytes of distinct `route` label values in all (label-cap.ts's LABEL_BYTES when not given; tests pass less). */
  maxRouteBytes?: number;
  /** Milliseconds from a clock that does not jump, for the slowest-per-route window (tests pass a fake one). */
  clock?: () => number;
  /** More metrics (Zenith compatibility): registered with the others, and families rendered per snapshot. */
  extension?: MetricsExtension;
  /** Where a family whose render failed is reported (once per family); silent when not given. */
  log?: Logger;
}

type RouteLabels = { app: string; kind: string; method: string; route: string };

export interface Scrape {
  contentType: string;
  /** The exposition, as pieces to send in order (the per-snapshot families' pieces are shared by scrapes). */
  body: Buffer[];
}

const EOF_LINE = Buffer.from('# EOF\n');

/** prom-client options from a contract definition (names.ts). */
function definition({ name, help, labelNames }: MetricDefinition) {
  return { name, help, labelNames };
}

/** `request`, `job`, `query`, `outgoing` and `other`: the kinds the protocol's reader lets through. */
const SLOW_KINDS = SlowKind.anyOf.length;

/** Slow-entry durations, seconds: slow entries start at their threshold (typically 0.5–2 s). */
const DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];

/**
 * The bridge's /metrics. Counters are fed by the monitor as it reads new entries; every gauge is read from the
 * monitor's last snapshot. A scrape never touches Redis, so a dead or frozen Redis cannot hold it: it answers
 * from the last state, with `pulse_bridge_redis_up 0`.
 */
export class BridgeMetrics {
  readonly registry = new Registry();
  private readonly openMetrics = new Registry<OpenMetricsContentType>();
  private readonly routes: LabelCap;
  private readonly types: LabelCap;
  private rendered: { snapshot: Snapshot; pieces: Promise<Buffer[]> } | undefined;
  private readonly renderers: readonly SnapshotFamilyRenderer[];
  private readonly failures: RenderFailures;
  /** Scrapes run one at a time: they share the per-snapshot rendering and never pile up work. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Requests the token check refused, by result: fed by the auth middleware (http/auth.ts). */
  readonly authFailures: Counter<'result'>;

  constructor(
    private readonly monitor: MonitorService,
    sse: SseBroadcaster,
    options: MetricsOptions,
  ) {
    // Per app and kind: a reader reads every kind it does not know as `other`, so there are SLOW_KINDS of them.
    this.routes = new LabelCap(options.maxRoutesPerApp, 1_000 * SLOW_KINDS, options.maxRouteBytes ?? LABEL_BYTES);
    this.types = new LabelCap(options.maxTypesPerApp ?? 100);
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    // prom-client also exports these gauges as `…_total`, which promtool rejects (only counters end in _total);
    // the same values stay available without the suffix (`nodejs_active_handles{type}`…).
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      this.registry.removeSingleMetric(name);
    }

    const slowTotal = new Counter({
      ...definition(M.slowTotal),
      registers,
    });
    const slowDuration = new Histogram({
      ...definition(M.slowDuration),
      buckets: DURATION_BUCKETS,
      registers,
    });
    // The slowest entry per route over a trailing window: the histogram is labelled by app and kind only (routes
    // would multiply its buckets), so this gauge carries the per-route maximum that Grafana reads with
    // max_over_time. Its label sets are those of pulse_slow_entries_total (same route cap), and routes with no
    // entry in the window are dropped.
    const clock = options.clock ?? (() => performance.now());
    const routeMax = new WindowMax<RouteLabels>();
    new Gauge({
      ...definition(M.slowRouteMax),
      registers,
      collect() {
        this.reset();
        for (const { labels, value } of routeMax.collect(clock())) this.set(labels, value);
      },
    });
    const exceptions = new Counter({
      ...definition(M.exceptionsTotal),
      registers,
    });
    monitor.subscribe({
      slow: (events) => {
        const now = clock();
        for (const { app, entry } of events) {
          // One capped route per entry, shared by the counter and the gauge: an overflow is counted once.
          const labels: RouteLabels = {
            app,
            kind: entry.kind,
            method: methodLabel(entry.method),
            route: this.routes.value(`${app}\n${entry.kind}`, entry.route ?? entry.name),
          };
          const seconds = entry.duration_ms / 1000;
          slowTotal.inc(labels);
          slowDuration.observe({ app, kind: entry.kind }, seconds);
          routeMax.observe(`${app}\n${labels.kind}\n${labels.method}\n${labels.route}`, labels, seconds, now);
        }
      },
      error: (events) => {
        for (const { app, entry } of events) exceptions.inc({ app, type: this.types.value(app, entry.type) });
      },
    });

    new Gauge({
      ...definition(M.redisUp),
      registers,
      collect() {
        this.set(monitor.isRedisUp() ? 1 : 0);
      },
    });
    const invalidHeartbeats = new Counter({
      ...definition(M.invalidHeartbeats),
      registers,
    });
    const invalidEntries = new Counter({
      ...definition(M.invalidEntries),
      registers,
    });
    const slowRepeats = new Counter({
      ...definition(M.slowRepeats),
      registers,
    });
    // Counters mirrored from plain numbers: set through inc() by the difference, so they stay counters.
    const mirror = (counter: Counter<string>, read: () => number, labels: Record<string, string> = {}) => {
      let last = 0;
      return () => {
        const now = read();
        if (now > last) counter.inc(labels, now - last);
        last = now;
      };
    };
    const syncs = [
      mirror(invalidHeartbeats, () => monitor.invalid.counts.heartbeat),
      mirror(invalidEntries, () => monitor.invalid.counts.slow, { kind: 'slow' }),
      mirror(invalidEntries, () => monitor.invalid.counts.error, { kind: 'error' }),
      mirror(slowRepeats, () => monitor.appFeeds.slowRepeats),
    ];
    new Gauge({
      ...definition(M.sseClients),
      registers,
      collect() {
        this.set(sse.size);
      },
    });
    const sseDropped = new Counter({
      ...definition(M.sseSlowClientsDropped),
      registers,
    });
    const sseRejected = new Counter({
      ...definition(M.sseRejected),
      registers,
    });
    const sseEventsDropped = new Counter({
      ...definition(M.sseEventsDropped),
      registers,
    });
    this.authFailures = new Counter({ ...definition(M.authFailures), registers });
    const labelOverflow = new Counter({
      ...definition(M.labelOverflow),
      registers,
    });
    syncs.push(
      mirror(sseDropped, () => sse.counters.slowClientsDropped),
      mirror(sseRejected, () => sse.counters.rejected),
      mirror(sseEventsDropped, () => sse.counters.eventsDropped),
      mirror(labelOverflow, () => this.routes.overflow, { label: 'route' }),
      mirror(labelOverflow, () => this.types.overflow, { label: 'type' }),
    );
    new Gauge({
      ...definition(M.redisPing),
      registers,
      collect() {
        this.set((monitor.liveness.lastRoundTripMs ?? Number.NaN) / 1000);
      },
    });
    syncs.push(mirror(new Counter({ ...definition(M.failedPolls), registers }), () => monitor.failedPolls));
    new Gauge({
      ...definition(M.pollDuration),
      registers,
      collect() {
        this.set(monitor.lastSnapshot().tickMs / 1000);
      },
    });
    // Unknown before the first poll that succeeded: NaN, never a time that would read as fresh.
    new Gauge({
      ...definition(M.lastPoll),
      registers,
      collect() {
        this.set((monitor.polls.polledAt ?? Number.NaN) / 1000);
      },
    });
    new Gauge({
      ...definition(M.pollOk),
      registers,
      collect() {
        this.set(monitor.polls.ok ? 1 : 0);
      },
    });
    new Gauge({
      ...definition(M.heartbeatReadPath),
      registers,
      collect() {
        // Unknown before the first read decided it: NaN, never a 0 that would read as "neither".
        const path = monitor.heartbeats.path;
        for (const each of ['tracking', 'scan'] as const) this.set({ path: each }, path === undefined ? Number.NaN : path === each ? 1 : 0);
      },
    });
    new Gauge({
      ...definition(M.dataAge),
      registers,
      collect() {
        this.set((monitor.polls.ageAt(Date.now()) ?? Number.NaN) / 1000);
      },
    });
    new Gauge({
      ...definition(M.redisOom),
      registers,
      collect() {
        // Unknown (not read yet, or Redis refuses INFO): NaN, never 0, which would read as "not full".
        const memory = monitor.redisMemory();
        this.set(memory === undefined ? Number.NaN : memory.oom ? 1 : 0);
      },
    });
    new Gauge({
      ...definition(M.redisMemoryUsed),
      registers,
      collect() {
        this.set(monitor.redisMemory()?.usedBytes ?? Number.NaN);
      },
    });
    new Gauge({
      ...definition(M.redisMemoryMax),
      registers,
      collect() {
        // NaN while unknown: 0 is "no limit".
        this.set(monitor.redisMemory()?.maxBytes ?? Number.NaN);
      },
    });
    new Gauge({
      ...definition(M.invalidFeeds),
      registers,
      collect() {
        for (const feed of ['slow', 'errors'] as const) this.set({ feed }, monitor.feeds.count(feed));
      },
    });
    const capReached = new Counter({ ...definition(M.capReached), registers });
    const futureTimestamps = new Counter({ ...definition(M.futureTimestamps), registers });
    for (const cap of Object.keys(monitor.caps.counts) as CapName[])
      syncs.push(mirror(capReached, () => monitor.caps.counts[cap], { cap }));
    for (const kind of ['heartbeat', 'slow', 'error'] as const)
      syncs.push(mirror(futureTimestamps, () => monitor.clock.future[kind], { kind }));
    const fullReads = new Counter({ ...definition(M.heartbeatFullReads), registers });
    for (const reason of Object.keys(monitor.heartbeats.resyncs) as FullReadReason[]) {
      // Every reason from the start, at 0: a rate over it is then defined before its first read.
      fullReads.inc({ reason }, 0);
      syncs.push(mirror(fullReads, () => monitor.heartbeats.resyncs[reason], { reason }));
    }
    const renderFailures = new Counter({ ...definition(M.renderFailures), registers });
    this.failures = new RenderFailures(options.log ?? pino({ level: 'silent' }), (family) => renderFailures.inc({ family }));
    this.renderers = [new SnapshotFamilies(), ...(options.extension?.renderers ?? [])];
    options.extension?.register(this.registry);
    // Plain-number counters (monitor, SSE, label caps, the caps of /metrics itself) are folded in at every scrape.
    this.sync = () => {
      for (const sync of syncs) sync();
    };

    // An OpenMetrics twin: prom-client renames a counter object in place when it renders OpenMetrics, so the
    // twin registry holds thin wrappers instead of sharing (and renaming) the text registry's metric objects.
    this.openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    for (const object of this.registry.getMetricsAsArray()) {
      const metric = object as unknown as Metric & { name: string };
      const isCounter = String(object.type) === 'counter';
      const baseName = isCounter ? object.name.replace(/_total$/, '') : object.name;
      const wrapper = {
        name: baseName,
        help: object.help,
        type: object.type,
        aggregator: object.aggregator,
        get: async () => {
          const value = await metric.get();
          return isCounter ? { ...value, name: baseName } : value;
        },
      };
      this.openMetrics.registerMetric(wrapper as unknown as Metric);
    }
  }

  private readonly sync: () => void;

  /** Renders /metrics: text format, or OpenMetrics when asked. Never waits on Redis. */
  scrape(openMetrics: boolean): Promise<Scrape> {
    const run = this.queue.then(() => this.render(openMetrics));
    this.queue = run.catch(() => {});
    return run;
  }

  private async render(openMetrics: boolean): Promise<Scrape> {
    const snapshot = this.monitor.lastSnapshot();
    if (this.rendered?.snapshot !== snapshot) this.rendered = { snapshot, pieces: this.renderSnapshot(snapshot) };
    const families = await this.rendered.pieces;
    // After the snapshot's render, so that what its caps left out is counted in this scrape already.
    this.sync();
    const rest = await renderRegistry(openMetrics ? this.openMetrics : this.registry, this.failures);
    if (openMetrics) return { contentType: Registry.OPENMETRICS_CONTENT_TYPE, body: [Buffer.from(rest), ...families, EOF_LINE] };
    return { contentType: Registry.PROMETHEUS_CONTENT_TYPE, body: [Buffer.from(`${rest}\n`), ...families] };
  }

  /** Every per-snapshot family, renderer after renderer; one that fails is left out (RenderFailures). */
  private async renderSnapshot(snapshot: Snapshot): Promise<Buffer[]> {
    const rendered: Buffer[][] = [];
    for (const renderer of this.renderers) {
      try {
        rendered.push(await renderer.render(snapshot, this.monitor.caps));
      } catch (err) {
        this.failures.failed(
          renderer.families.map(({ name }) => name),
          err,
        );
      }
    }
    return rendered.flat();
  }
}
