import { type EventLoopUtilization, type IntervalHistogram, monitorEventLoopDelay, performance } from 'node:perf_hooks';

export interface EventLoopSample {
  delayP50Ms: number;
  delayP99Ms: number;
  /** 0–1, since the previous sample. */
  utilization: number;
}

/**
 * Event-loop delay percentiles (`monitorEventLoopDelay`, a libuv timer sampled in C++) and
 * utilization (`performance.eventLoopUtilization`), both reset at every sample so that each
 * heartbeat describes its own interval.
 */
export class EventLoopCollector {
  private histogram: IntervalHistogram | undefined;
  private previous: EventLoopUtilization = performance.eventLoopUtilization();

  constructor(private readonly resolutionMs = 10) {
    try {
      this.histogram = monitorEventLoopDelay({ resolution: resolutionMs });
      this.histogram.enable();
    } catch {
      this.histogram = undefined; // not available on this runtime: delay reads 0
    }
  }

  sample(): EventLoopSample {
    const h = this.histogram;
    let delayP50Ms = 0;
    let delayP99Ms = 0;
    // An empty histogram (no tick recorded yet) reports a huge min and 0 percentiles.
    // The histogram times a repeating timer, so an idle loop reads about one resolution: take it
    // off, so that the figure is the delay the loop added.
    if (h !== undefined && h.count > 0) {
      delayP50Ms = Math.max(0, h.percentile(50) / 1e6 - this.resolutionMs);
      delayP99Ms = Math.max(0, h.percentile(99) / 1e6 - this.resolutionMs);
      h.reset();
    }
    const now = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(now, this.previous);
    this.previous = now;
    const utilization = Number.isFinite(delta.utilization) ? Math.min(1, Math.max(0, delta.utilization)) : 0;
    return { delayP50Ms, delayP99Ms, utilization };
  }

  stop(): void {
    this.histogram?.disable();
    this.histogram = undefined;
  }
}
