import { AggregationTemporality, InstrumentType, MeterProvider, type MetricProducer, MetricReader } from '@opentelemetry/sdk-metrics';
import { HostCollector } from './collect/host-collector.js';
import { HostStateHolder } from './collect/host-state.js';
import { LoopDelayMonitor } from './collect/loop-delay.js';
import { WorkerCollector } from './collect/workers.js';
import { type PulseOptions, type ResolvedOptions, resolveOptions } from './config/options.js';
import { IdentityCache } from './identity.js';
import { registerInstruments } from './metrics/instruments.js';
import { PulseMetricExporter } from './metrics/pulse-metric-exporter.js';
import { PulseMetricReader } from './metrics/pulse-metric-reader.js';
import { connect } from './redis/connection.js';
import { RedisWriter } from './redis/writer.js';
import { PulseSpanProcessor } from './spans/pulse-span-processor.js';
import { RecorderStats } from './stats.js';
import { PULSE_SCOPE, SDK_VERSION } from './version.js';

export interface Pulse {
  /** Give it to NodeSDK's `metricReaders` (or any MeterProvider): it brings Pulse's instruments along. */
  readonly metricReader: PulseMetricReader;
  /** Give it to NodeSDK's `spanProcessors`, next to your own exporter's processor. */
  readonly spanProcessor: PulseSpanProcessor;
  /** The private MeterProvider that holds Pulse's observable instruments (host and process state). */
  readonly meterProvider: MeterProvider;
  /** The recorder's own health: drops, failed writes, invalid payloads. */
  readonly stats: RecorderStats;
  /**
   * Reports a process the app started (a pid, e.g. `child.pid`) in the heartbeat's `processes`, with CPU and
   * RSS, until it ends. Cluster workers and direct children (Linux) are found without it.
   */
  trackProcess(pid: number, name?: string): void;
  /** Writes what is queued and a fresh heartbeat. Bounded by the write timeout; never rejects. */
  forceFlush(): Promise<void>;
  /** Flushes, stops timers and closes the Redis client Pulse created. Idempotent, bounded, never rejects. */
  shutdown(): Promise<void>;
}

/**
 * A reader with no schedule of its own: its MeterProvider's metrics are pulled by PulseMetricReader.
 * Gauges are delta: a heartbeat holds what this collection observed, so a worker process that ended, or
 * an event-loop figure not measured this time, is left out rather than repeated from an earlier
 * collection (a cumulative gauge keeps every attribute set it ever saw).
 */
class PullReader extends MetricReader {
  constructor() {
    super({
      aggregationTemporalitySelector: (type) =>
        type === InstrumentType.OBSERVABLE_GAUGE ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE,
    });
  }

  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

function bounded(work: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    work.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}

/**
 * Builds Pulse from its parts: collectors → instruments on a private MeterProvider → a metric
 * producer pulled by the periodic reader → PulseMetricExporter (map, validate, SET); and the span
 * processor → bounded queue → batched writer. Both share one Redis connection.
 * Bad options throw a `PulseConfigError` here; nothing throws later.
 */
export function createPulse(options: PulseOptions = {}): Pulse {
  const o: ResolvedOptions = resolveOptions(options);
  const stats = new RecorderStats();
  const connection = connect(o.redis, o.redisOptions, {
    writeTimeoutMs: o.writeTimeoutMs,
    maxBackoffMs: Math.min(5_000, Math.max(100, Math.floor(o.intervalMs / 2))),
  });
  const writer = new RedisWriter(connection, stats, o.writeTimeoutMs);
  const identities = new IdentityCache(o);

  let users = 2; // the exporter and the span processor share the connection
  const release = () => {
    if (--users === 0) connection.close();
  };

  const workers = new WorkerCollector(o.processes);
  // One event-loop delay monitor, two windows: the heartbeat's interval and the host state's last second.
  const loopDelay = new LoopDelayMonitor();
  const collector = new HostCollector(o.disks, workers, loopDelay.window());
  const hostState = new HostStateHolder(loopDelay.window());
  const pullReader = new PullReader();
  const meterProvider = new MeterProvider({ readers: [pullReader] });
  registerInstruments(meterProvider.getMeter(PULSE_SCOPE, SDK_VERSION), collector, stats);
  const producer: MetricProducer = { collect: (collectOptions) => pullReader.collect(collectOptions) };

  const exporter = new PulseMetricExporter({
    writer,
    identities,
    stats,
    intervalMs: o.intervalMs,
    ttlSeconds: o.ttlSeconds,
    onShutdown: () => {
      collector.stop();
      release();
    },
  });

  // An early heartbeat: shortly after the reader is bound, and as soon as Redis is (back) ready,
  // rather than up to one interval later. Rate-limited so a flapping connection cannot spin it.
  let lastEarly = 0;
  const earlyHeartbeat = () => {
    const now = Date.now();
    if (!metricReader.isBound || now - lastEarly < o.intervalMs / 4) return;
    lastEarly = now;
    metricReader.forceFlush().catch(() => {});
  };
  const metricReader: PulseMetricReader = new PulseMetricReader({
    exporter,
    exportIntervalMillis: o.intervalMs,
    exportTimeoutMillis: Math.min(o.intervalMs, o.writeTimeoutMs + 1_500),
    metricProducers: [producer],
    onBound: () => setTimeout(earlyHeartbeat, Math.min(1_000, o.intervalMs / 2)).unref(),
  });
  connection.onReady(() => setTimeout(earlyHeartbeat, 50).unref());

  const spanProcessor = new PulseSpanProcessor({
    writer,
    identities,
    stats,
    thresholds: o.thresholds,
    ignore: o.ignore,
    queries: o.queries,
    outgoing: o.outgoing,
    outgoingGroups: o.outgoingGroups,
    hostState,
    sampleRate: o.sampleRate,
    recordSlow: o.recordSlow,
    recordErrors: o.recordErrors,
    maxQueueSize: o.maxQueueSize,
    maxQueueBytes: o.maxQueueBytes,
    flushIntervalMs: o.flushIntervalMs,
    onShutdown: () => {
      hostState.stop();
      release();
    },
  });

  const bound = o.writeTimeoutMs + 1_000;
  let stopping: Promise<void> | undefined;
  return {
    metricReader,
    spanProcessor,
    meterProvider,
    stats,
    trackProcess: (pid, name) => workers.track(pid, name),
    forceFlush: () =>
      bounded(Promise.allSettled([spanProcessor.forceFlush(), metricReader.isBound ? metricReader.forceFlush() : undefined]), bound),
    shutdown() {
      stopping ??= (async () => {
        await bounded(Promise.allSettled([spanProcessor.shutdown(), metricReader.shutdown()]), bound);
        // An unbound reader never shuts its exporter down: do it, so the connection is released.
        await bounded(exporter.shutdown(), bound);
        collector.stop();
        await bounded(meterProvider.shutdown(), bound);
        connection.close();
        identities.release();
      })();
      return stopping;
    },
  };
}
