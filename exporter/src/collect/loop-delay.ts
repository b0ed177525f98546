import { monitorEventLoopDelay } from 'node:perf_hooks';
import { RUNTIME } from '../runtime/detect.js';
import { type DelayPercentiles, type DelaySource, TimerDriftDelay } from './timer-drift.js';

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

/**
 * Event-loop delay for readers that each want a window of their own: the heartbeat's interval, the host state's last
 * second. On Node each window is a histogram of its own: Node cannot merge or split one, and a second one sampled in
 * C++ at the same resolution costs no measurable CPU (docs/benchmarks.md). Elsewhere every window reads the ring of
 * one JavaScript timer, so that a second window adds no timer.
 */
export class LoopDelayMonitor {
  private drift: TimerDriftDelay | undefined;

  constructor(private readonly resolutionMs = 10) {}

  window(): DelaySource {
    if (RUNTIME.name === 'node') {
      try {
        return new HistogramDelay(this.resolutionMs);
      } catch {
        // Not available in this build: measure from JavaScript instead.
      }
    }
    this.drift ??= new TimerDriftDelay(this.resolutionMs);
    return this.drift.window();
  }
}
