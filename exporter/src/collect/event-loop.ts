import { type EventLoopUtilization, performance } from 'node:perf_hooks';
import { LoopDelayMonitor } from './loop-delay.js';
import type { DelaySource } from './timer-drift.js';

export interface EventLoopSample {
  delayP50Ms: number;
  delayP99Ms: number;
  /** 0–1, since the previous sample; absent where the runtime cannot measure it (Bun). */
  utilization?: number;
}

/**
 * Event-loop delay percentiles and utilization (`performance.eventLoopUtilization`), both reset at every sample
 * so that each heartbeat describes its own interval. A figure the runtime cannot give is left out, never 0.
 */
export class EventLoopCollector {
  private previous: EventLoopUtilization = performance.eventLoopUtilization();

  constructor(private readonly delay: DelaySource = new LoopDelayMonitor().window()) {}

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
