import { performance } from 'node:perf_hooks';
import type { HostState } from '@gravito/pulse-protocol';
import { DiagOnce, errorMessage } from '../diag-once.js';
import { SystemCpuCollector } from './cpu.js';
import type { DelaySource } from './timer-drift.js';

/** The state is refreshed at most this often, so that its figures cover about the last second. */
const MIN_REFRESH_MS = 1_000;

const percent = (ratio: number) => Math.min(100, Math.max(0, Math.round(ratio * 10_000) / 100));
const round3 = (v: number) => Math.round(v * 1000) / 1000;

/**
 * The host's state as of about the last second, for the `host` of slow entries: host CPU and event-loop delay p99
 * over that second, heap and RSS, and the requests in flight. `refresh()` rides on a timer that already runs (the span
 * processor's flush tick) and does its work at most once a second; between two refreshes every slow entry shares the
 * same frozen object, so recording one allocates nothing for it. A figure not measured is left out, never 0.
 */
export class HostStateHolder {
  private readonly cpu = new SystemCpuCollector();
  private readonly diag = new DiagOnce();
  private inFlight = 0;
  /** Requests are counted only once one was seen: before that, 0 would claim what an uninstrumented server cannot tell. */
  private sawRequest = false;
  private refreshedAt = performance.now();
  private state: HostState | undefined;

  constructor(private readonly loopDelay: DelaySource) {
    this.cpu.sample(); // the baseline of the first refresh's CPU delta
  }

  /** The state as of the last refresh; `undefined` before the first one. */
  get current(): HostState | undefined {
    return this.state;
  }

  /** A SERVER span started. */
  requestStarted(): void {
    this.inFlight++;
    this.sawRequest = true;
  }

  /** A SERVER span ended. */
  requestEnded(): void {
    if (this.inFlight > 0) this.inFlight--;
  }

  /**
   * Takes a fresh state if the last one is a second old: about 90 µs (one `os.cpus()`, one `process.memoryUsage()`).
   * Runs on a timer, so it never throws: a state it cannot take is unknown, and entries go without one.
   */
  refresh(now = performance.now()): void {
    if (now - this.refreshedAt < MIN_REFRESH_MS) return;
    this.refreshedAt = now;
    try {
      const memory = process.memoryUsage();
      const state: HostState = { cpu_usage: percent(this.cpu.sample().utilization), memory_heap: memory.heapUsed, memory_rss: memory.rss };
      const delay = this.loopDelay.take();
      if (delay !== undefined) state.event_loop_delay_p99_ms = round3(delay.p99Ms);
      if (this.sawRequest) state.requests_in_flight = this.inFlight;
      this.state = Object.freeze(state);
      this.diag.clear('refresh');
    } catch (err) {
      this.state = undefined;
      this.diag.warn('refresh', `the host's state could not be taken, so slow entries go without it: ${errorMessage(err)}`);
    }
  }

  stop(): void {
    this.loopDelay.stop();
  }
}
