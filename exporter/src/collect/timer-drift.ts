import { performance } from 'node:perf_hooks';

export interface DelayPercentiles {
  p50Ms: number;
  p99Ms: number;
}

/** One reader's window on the event-loop delay: each `take()` covers the time since its previous one. */
export interface DelaySource {
  /** `undefined` when nothing was measured since the previous take. */
  take(): DelayPercentiles | undefined;
  stop(): void;
}

/** Samples kept: at the default 10 ms resolution, the last 20 s. */
const MAX_SAMPLES = 2_048;

/**
 * Event-loop delay measured from JavaScript: a timer due every `resolutionMs` records how late it fired. That is
 * what `monitorEventLoopDelay` measures inside libuv on Node; Bun's `monitorEventLoopDelay` records figures that
 * do not follow the loop (a 50 ms block reads as 0.2 ms) and Deno has none, so there Pulse measures this way.
 * A fixed ring holds the samples, read by any number of windows (the heartbeat's interval, the host state's last
 * second) with the one timer: past MAX_SAMPLES in one window, its newest are kept. The timer stops with the last
 * window.
 */
export class TimerDriftDelay {
  private readonly samples = new Float64Array(MAX_SAMPLES);
  /** Samples recorded since the start; the ring holds the newest MAX_SAMPLES of them. */
  private written = 0;
  private windows = 0;
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
    this.samples[this.written % MAX_SAMPLES] = Math.max(0, performance.now() - this.dueAt);
    this.written++;
    this.schedule();
  };

  /** A reader with a window of its own, from now on. */
  window(): DelaySource {
    this.windows++;
    let mark = this.written;
    let open = true;
    return {
      take: () => {
        const result = this.percentilesSince(mark);
        mark = this.written;
        return result;
      },
      stop: () => {
        if (!open) return;
        open = false;
        if (--this.windows === 0) this.stop();
      },
    };
  }

  /** Nearest-rank p50 and p99 of the lateness recorded since `mark`; `undefined` if none was. */
  private percentilesSince(mark: number): DelayPercentiles | undefined {
    const n = Math.min(this.written - mark, MAX_SAMPLES);
    if (n === 0) return undefined;
    const sorted = new Float64Array(n);
    for (let k = 0; k < n; k++) sorted[k] = this.samples[(this.written - n + k) % MAX_SAMPLES] as number;
    sorted.sort();
    const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * n) - 1)] as number;
    return { p50Ms: rank(0.5), p99Ms: rank(0.99) };
  }

  private stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
