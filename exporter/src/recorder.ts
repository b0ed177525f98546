import { defaultResource, detectResources, envDetector, type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { PulseOptions } from './config/options.js';
import { createPulse, type Pulse } from './pulse.js';

export interface PulseRecorderOptions extends PulseOptions {
  /** The Resource heartbeats describe. Default: OTel's default Resource, `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES`, then `service.name` = `appName`. */
  resource?: Resource;
}

/**
 * The plan's `PulseRecorder`, for apps without NodeSDK: `start()` begins the heartbeat loop
 * (every `intervalMs`, default 5 s) and `stop()` ends it. It is `createPulse` plus a MeterProvider
 * of its own, so it shares every line of collection, mapping and writing with the NodeSDK path.
 * Slow and error entries still need spans: register `recorder.spanProcessor` with your
 * TracerProvider if you have one.
 */
export class PulseRecorder {
  private readonly pulse: Pulse;
  private readonly resource: Resource;
  private provider: MeterProvider | undefined;
  private stopping: Promise<void> | undefined;

  constructor(options: PulseRecorderOptions = {}) {
    const { resource, ...pulseOptions } = options;
    this.pulse = createPulse(pulseOptions);
    this.resource =
      resource ??
      defaultResource()
        .merge(detectResources({ detectors: [envDetector] }))
        .merge(resourceFromAttributes(options.appName ? { 'service.name': options.appName } : {}));
  }

  get spanProcessor(): Pulse['spanProcessor'] {
    return this.pulse.spanProcessor;
  }

  get stats(): Pulse['stats'] {
    return this.pulse.stats;
  }

  /** See `Pulse.trackProcess`. */
  trackProcess(pid: number, name?: string): void {
    this.pulse.trackProcess(pid, name);
  }

  /** Starts the loop. Calling it again does nothing; after `stop()` it cannot restart. */
  start(): this {
    if (this.provider === undefined && this.stopping === undefined) {
      this.provider = new MeterProvider({ resource: this.resource, readers: [this.pulse.metricReader] });
    }
    return this;
  }

  /** Writes a heartbeat and queued entries now. */
  forceFlush(): Promise<void> {
    return this.pulse.forceFlush();
  }

  /** Stops the loop, flushes, closes the Redis client Pulse created. Idempotent; never rejects. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.pulse.shutdown();
      await this.provider?.shutdown().catch(() => {});
    })();
    return this.stopping;
  }
}
