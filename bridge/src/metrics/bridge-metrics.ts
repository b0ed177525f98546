import { Counter, collectDefaultMetrics, Gauge, Histogram, type Metric, type OpenMetricsContentType, Registry } from 'prom-client';
import type { MonitorService, Snapshot } from '../monitor/monitor-service.js';
import type { SseBroadcaster } from '../sse/broadcaster.js';
import { LabelCap, methodLabel } from './label-cap.js';
import { renderSnapshotFamilies } from './snapshot-families.js';
import { SLOW_ROUTE_WINDOW_MS, WindowMax } from './window-max.js';

export interface MetricsOptions {
  maxRoutesPerApp: number;
  maxTypesPerApp?: number;
  /** Milliseconds from a clock that does not jump, for the slowest-per-route window (tests pass a fake one). */
  clock?: () => number;
}

type RouteLabels = { app: string; kind: string; method: string; route: string };

export interface Scrape {
  contentType: string;
  body: string;
}

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
  private rendered: { snapshot: Snapshot; text: Promise<string> } | undefined;
  /** Scrapes run one at a time: they share the per-snapshot rendering and never pile up work. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly monitor: MonitorService,
    sse: SseBroadcaster,
    options: MetricsOptions,
  ) {
    this.routes = new LabelCap(options.maxRoutesPerApp);
    this.types = new LabelCap(options.maxTypesPerApp ?? 100);
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    // prom-client also exports these gauges as `…_total`, which promtool rejects (only counters end in _total);
    // the same values stay available without the suffix (`nodejs_active_handles{type}`…).
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      this.registry.removeSingleMetric(name);
    }

    const slowTotal = new Counter({
      name: 'pulse_slow_entries_total',
      help: 'Slow requests and jobs read from the apps slow streams',
      labelNames: ['app', 'kind', 'method', 'route'],
      registers,
    });
    const slowDuration = new Histogram({
      name: 'pulse_slow_entry_duration_seconds',
      help: 'Duration of the slow entries read, seconds',
      labelNames: ['app', 'kind'],
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
      name: 'pulse_slow_route_max_duration_seconds',
      help: `Slowest slow entry read per route in the last ${SLOW_ROUTE_WINDOW_MS / 1000} s, seconds; max_over_time gives the slowest over a range`,
      labelNames: ['app', 'kind', 'method', 'route'],
      registers,
      collect() {
        this.reset();
        for (const { labels, value } of routeMax.collect(clock())) this.set(labels, value);
      },
    });
    const exceptions = new Counter({
      name: 'pulse_exceptions_total',
      help: 'Exceptions read from the apps exception sets',
      labelNames: ['app', 'type'],
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
            route: this.routes.value(app, entry.route ?? entry.name),
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
      name: 'pulse_bridge_redis_up',
      help: 'Whether the last poll reached Redis',
      registers,
      collect() {
        this.set(monitor.isRedisUp() ? 1 : 0);
      },
    });
    const invalidHeartbeats = new Counter({
      name: 'pulse_bridge_invalid_heartbeats_total',
      help: 'Heartbeat values or keys skipped as invalid',
      registers,
    });
    const invalidEntries = new Counter({
      name: 'pulse_bridge_invalid_entries_total',
      help: 'Slow or error entries skipped as invalid',
      labelNames: ['kind'],
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
    ];
    new Gauge({
      name: 'pulse_bridge_sse_clients',
      help: 'Connected SSE clients',
      registers,
      collect() {
        this.set(sse.size);
      },
    });
    const sseDropped = new Counter({
      name: 'pulse_bridge_sse_slow_clients_dropped_total',
      help: 'SSE clients disconnected because their unsent buffer passed the cap',
      registers,
    });
    const sseRejected = new Counter({
      name: 'pulse_bridge_sse_rejected_clients_total',
      help: 'SSE connections answered 503 at the client cap',
      registers,
    });
    const labelOverflow = new Counter({
      name: 'pulse_bridge_label_overflow_total',
      help: 'Label values folded into "other" by a per-app cap',
      labelNames: ['label'],
      registers,
    });
    syncs.push(
      mirror(sseDropped, () => sse.counters.slowClientsDropped),
      mirror(sseRejected, () => sse.counters.rejected),
      mirror(labelOverflow, () => this.routes.overflow, { label: 'route' }),
      mirror(labelOverflow, () => this.types.overflow, { label: 'type' }),
    );
    new Gauge({
      name: 'pulse_bridge_poll_duration_seconds',
      help: 'Duration of the last Redis poll, seconds',
      registers,
      collect() {
        this.set(monitor.lastSnapshot().tickMs / 1000);
      },
    });
    new Gauge({
      name: 'pulse_bridge_last_poll_timestamp_seconds',
      help: 'Time of the last poll, Unix seconds',
      registers,
      collect() {
        this.set(monitor.getAggregateMetrics().timestamp / 1000);
      },
    });
    // Plain-number counters (monitor, SSE, label caps) are folded in at the start of every scrape.
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
    this.sync();
    const snapshot = this.monitor.lastSnapshot();
    if (this.rendered?.snapshot !== snapshot) this.rendered = { snapshot, text: renderSnapshotFamilies(snapshot) };
    const [families, rest] = await Promise.all([this.rendered.text, (openMetrics ? this.openMetrics : this.registry).metrics()]);
    if (openMetrics) {
      const body = rest.replace(/# EOF\n?$/, '');
      return { contentType: Registry.OPENMETRICS_CONTENT_TYPE, body: `${body}${families}# EOF\n` };
    }
    return { contentType: Registry.PROMETHEUS_CONTENT_TYPE, body: `${rest}\n${families}` };
  }
}
