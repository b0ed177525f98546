import { heartbeatKey, type PulseHeartbeat, validateHeartbeat } from '@gravito/pulse-protocol';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import {
  type AggregationOption,
  AggregationTemporality,
  AggregationType,
  type InstrumentType,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { DiagOnce, errorMessage } from '../diag-once.js';
import type { IdentityCache } from '../identity.js';
import type { RedisWriter } from '../redis/writer.js';
import type { RecorderStats } from '../stats.js';
import { toHeartbeat } from './heartbeat-mapper.js';

export interface PulseMetricExporterOptions {
  writer: RedisWriter;
  identities: IdentityCache;
  stats: RecorderStats;
  intervalMs: number;
  ttlSeconds: number;
  /** Called once when the exporter shuts down (releases the shared Redis connection). */
  onShutdown?: () => void;
}

/**
 * A failure this exporter has already dealt with: counted in the heartbeat's `recorder` block and
 * warned once. Reporting it as FAILED would make PeriodicExportingMetricReader hand an Error with a
 * stack to the global error handler at every interval, for as long as Redis is down.
 */
const HANDLED: ExportResult = { code: ExportResultCode.SUCCESS };

/**
 * A `PushMetricExporter` that turns each `ResourceMetrics` into one GPP heartbeat (the mapper) and
 * writes it with `SET pulse:server:{app}:{id} <json> EX ttl` (the writer).
 * `export` always calls back exactly once, within the writer's bound, and never throws.
 */
export class PulseMetricExporter implements PushMetricExporter {
  private readonly diag = new DiagOnce();
  private isShutdown = false;
  private readonly pending = new Set<Promise<void>>();
  /** The last heartbeat written, to say goodbye with on shutdown. */
  private lastWritten: { key: string; heartbeat: PulseHeartbeat } | undefined;

  constructor(private readonly options: PulseMetricExporterOptions) {}

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    let called = false;
    const done = (result: ExportResult) => {
      if (called) return;
      called = true;
      try {
        resultCallback(result);
      } catch {
        // the SDK's callback is not ours to break
      }
    };
    if (this.isShutdown) {
      done({ code: ExportResultCode.FAILED, error: new Error('PulseMetricExporter is shut down') });
      return;
    }
    const work = this.write(metrics).then(done, (err: unknown) => {
      done({ code: ExportResultCode.FAILED, error: err instanceof Error ? err : new Error(errorMessage(err)) });
    });
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  private async write(metrics: ResourceMetrics): Promise<ExportResult> {
    const { stats, identities, writer, intervalMs, ttlSeconds } = this.options;
    const identity = identities.get(metrics.resource);
    if (identity === undefined) return { code: ExportResultCode.SUCCESS }; // another Pulse writes for this identity
    const heartbeat = toHeartbeat(metrics, { identity, intervalMs, now: Date.now() });
    if (heartbeat === undefined) {
      this.diag.warn('no-metrics', "an export held no Pulse metrics: use pulse.metricReader, which brings Pulse's instruments along");
      return { code: ExportResultCode.SUCCESS };
    }
    const valid = validateHeartbeat(heartbeat);
    if (!valid.ok) {
      stats.invalidHeartbeats++;
      this.diag.warn('invalid', `a heartbeat failed the protocol schema and was not written: ${valid.error}`);
      return HANDLED;
    }
    const key = heartbeatKey(identity.app, identity.serverId);
    const outcome = await writer.write([['set', key, JSON.stringify(heartbeat), 'EX', ttlSeconds]]);
    if (outcome.failed > 0) return HANDLED; // counted in failed_writes; the connection warned once
    stats.writtenHeartbeats++;
    this.lastWritten = { key, heartbeat };
    return { code: ExportResultCode.SUCCESS };
  }

  /**
   * A graceful shutdown's last word: the last heartbeat again, marked `state: stopped`, so that readers show a
   * deploy as stopped rather than lost (and do not page anyone). A crash never gets here and stays lost.
   */
  private async writeStopped(): Promise<void> {
    if (this.lastWritten === undefined) return;
    const { key, heartbeat } = this.lastWritten;
    const stopped: PulseHeartbeat = { ...heartbeat, timestamp: Math.max(heartbeat.timestamp, Date.now()), state: 'stopped' };
    const outcome = await this.options.writer.write([['set', key, JSON.stringify(stopped), 'EX', this.options.ttlSeconds]]);
    if (outcome.failed === 0) this.options.stats.writtenHeartbeats++;
  }

  /** Heartbeats are gauges of now; delta or cumulative makes no difference to them. */
  selectAggregationTemporality(_instrumentType: InstrumentType): AggregationTemporality {
    return AggregationTemporality.CUMULATIVE;
  }

  /**
   * Pulse's own instruments arrive through the reader's metric producer, which aggregates on its own.
   * Instruments of the host MeterProvider (e.g. `http.server.request.duration`) are of no use to a
   * heartbeat: drop them at the source, so they cost no aggregation and no memory in this reader.
   */
  selectAggregation(_instrumentType: InstrumentType): AggregationOption {
    return { type: AggregationType.DROP };
  }

  async forceFlush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  async shutdown(): Promise<void> {
    if (this.isShutdown) return;
    this.isShutdown = true;
    await this.forceFlush();
    await this.writeStopped();
    this.options.onShutdown?.();
  }
}
