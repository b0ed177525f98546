import { performance } from 'node:perf_hooks';

export interface DelayPercentiles {
  p50Ms: number;
  p99Ms: number;
}

/** Samples kept between two heartbeats: at the default 10 ms resolution, the last 20 s. */
const MAX_SAMPLES = 2_048;

/**
 * Event-loop delay measured from JavaScript: a timer due every `resolutionMs` records how late it fired. That is
 * what `monitorEventLoopDelay` measures inside libuv on Node; Bun's `monitorEventLoopDelay` records figures that
 * do not follow the loop (a 50 ms block reads as 0.2 ms) and Deno has none, so there Pulse measures this way.
 * A fixed ring holds the samples: past MAX_SAMPLES in one interval, the newest are kept.
 */
export class TimerDriftDelay {
  private readonly samples = new Float64Array(MAX_SAMPLES);
  private recorded = 0;
  private dueAt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly resolutionMs: number) {
    this.schedule();
  }

  private schedule(): void {
    this.dueAt = performance.now() + this.resolutionMs;
    this.timer = setTimeout(this.tick, this.resolutionMs);
    this.timer.unref();
  }

  private readonly tick = (): void => {
    if (this.timer === undefined) return;
    this.samples[this.recorded % MAX_SAMPLES] = Math.max(0, performance.now() - this.dueAt);
    this.recorded++;
    this.schedule();
  };

  /** Nearest-rank p50 and p99 of the lateness since the previous call; `undefined` before the first tick. */
  take(): DelayPercentiles | undefined {
    const n = Math.min(this.recorded, MAX_SAMPLES);
    if (n === 0) return undefined;
    const sorted = this.samples.slice(0, n).sort();
    this.recorded = 0;
    const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * n) - 1)] as number;
    return { p50Ms: rank(0.5), p99Ms: rank(0.99) };
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
