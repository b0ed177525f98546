import { PeriodicExportingMetricReader, type PeriodicExportingMetricReaderOptions } from '@opentelemetry/sdk-metrics';

/**
 * The periodic reader users hand to NodeSDK (or to any MeterProvider). On top of the SDK's reader:
 * - it knows whether a MeterProvider has bound it, so Pulse can ask for an early heartbeat (right
 *   after start and right after Redis comes back) instead of waiting a whole interval;
 * - `shutdown` is idempotent: NodeSDK and `pulse.shutdown()` may both call it.
 */
export class PulseMetricReader extends PeriodicExportingMetricReader {
  private bound = false;
  private stopping: Promise<void> | undefined;
  private readonly onBound: () => void;

  constructor(options: PeriodicExportingMetricReaderOptions & { onBound?: () => void }) {
    const { onBound, ...rest } = options;
    super(rest);
    this.onBound = onBound ?? (() => {});
  }

  get isBound(): boolean {
    return this.bound && this.stopping === undefined;
  }

  protected override onInitialized(): void {
    super.onInitialized();
    this.bound = true;
    this.onBound();
  }

  override shutdown(options?: { timeoutMillis?: number }): Promise<void> {
    this.stopping ??= this.bound ? super.shutdown(options).catch(() => {}) : Promise.resolve();
    return this.stopping;
  }
}
