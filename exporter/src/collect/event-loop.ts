import { type EventLoopUtilization, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { RUNTIME } from '../runtime/detect.js';
import { type DelayPercentiles, TimerDriftDelay } from './timer-drift.js';

export interface EventLoopSample {
  delayP50Ms: number;
  delayP99Ms: number;
  /** 0–1, since the previous sample; absent where the runtime cannot measure it (Bun). */
  utilization?: number;
}

interface DelaySource {
  take(): DelayPercentiles | undefined;
  stop(): void;
}

/** Node: `monitorEventLoopDelay`, a libuv timer sampled in C++, cheaper and finer than a JavaScript timer. */
class HistogramDelay implements DelaySource {
  // Named by what returns it: later @types/node (26 in .ci/otel3) call the type ELDHistogram, without IntervalHistogram.
  private readonly histogram: ReturnType<typeof monitorEventLoopDelay>;

  constructor(private readonly resolutionMs: number) {
    this.histogram = monitorEventLoopDelay({ resolution: resolutionMs });
    this.histogram.enable();
  }

  take(): DelayPercentiles | undefined {
    const h = this.histogram;
    // An empty histogram (no tick recorded yet) reports a huge min and 0 percentiles.
    if (h.count === 0) return undefined;
    // The histogram times a repeating timer, so an idle loop reads about one resolution: take it off, so that
    // the figure is the delay the loop added.
    const result = {
      p50Ms: Math.max(0, h.percentile(50) / 1e6 - this.resolutionMs),
      p99Ms: Math.max(0, h.percentile(99) / 1e6 - this.resolutionMs),
    };
    h.reset();
    return result;
  }

  stop(): void {
    this.histogram.disable();
  }
}

function delaySource(resolutionMs: number): DelaySource {
  if (RUNTIME.name === 'node') {
    try {
      return new HistogramDelay(resolutionMs);
    } catch {
      // Not available in this build: measure from JavaScript instead.
    }
  }
  return new TimerDriftDelay(resolutionMs);
}

/**
 * Event-loop delay percentiles and utilization (`performance.eventLoopUtilization`), both reset at every sample
 * so that each heartbeat describes its own interval. A figure the runtime cannot give is left out, never 0.
 */
export class EventLoopCollector {
  private readonly delay: DelaySource;
  private previous: EventLoopUtilization = performance.eventLoopUtilization();

  constructor(resolutionMs = 10) {
    this.delay = delaySource(resolutionMs);
  }

  /** `undefined` until the loop has ticked once since the previous sample. */
  sample(): EventLoopSample | undefined {
    const now = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(now, this.previous);
    this.previous = now;
    // Bun implements the call but counts nothing: idle and active both stay 0. That is "unknown", not "idle".
    const measured = delta.idle + delta.active > 0 && Number.isFinite(delta.utilization);
    const delay = this.delay.take();
    if (delay === undefined) return undefined;
    const sample: EventLoopSample = { delayP50Ms: delay.p50Ms, delayP99Ms: delay.p99Ms };
    if (measured) sample.utilization = Math.min(1, Math.max(0, delta.utilization));
    return sample;
  }

  stop(): void {
    this.delay.stop();
  }
}
