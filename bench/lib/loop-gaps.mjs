// Plain JavaScript, so that the fan-out bench can load it into the bridge's own process (`--import`) without a
// TypeScript loader there; types in loop-gaps.d.mts.
import { openSync, readSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/**
 * The main thread's scheduler counters (Linux): opened once, from the main thread, so that `thread-self` is it; read
 * with one positioned read each time (~4 µs, a third of a readFileSync), as the sampler reads it every turn.
 */
const schedstat = (() => {
  try {
    return openSync('/proc/thread-self/schedstat', 'r');
  } catch {
    return undefined;
  }
})();
const schedBuffer = Buffer.alloc(128);

/** The main thread's time on a CPU and time runnable but waiting for one, in ms (zeros where /proc has no such file). */
export function schedMs() {
  if (schedstat === undefined) return { cpu: 0, wait: 0 };
  const [onCpu, waiting] = schedBuffer.toString('latin1', 0, readSync(schedstat, schedBuffer, 0, schedBuffer.length, 0)).split(' ');
  return { cpu: Number(onCpu) / 1e6, wait: Number(waiting) / 1e6 };
}

/**
 * Samples the event loop every `resolutionMs` and reports each gap between two samples longer than
 * `resolutionMs + minBlockMs` as a block, split into the main thread's time on a CPU (the process's own work,
 * GC included) and its time waiting for a core that other processes held. On a machine whose cores are all busy,
 * the event-loop delay alone cannot tell the two apart.
 */
export function startLoopGaps({ resolutionMs = 1, minBlockMs = 0, onBlock } = {}) {
  const start = schedMs();
  let last = performance.now();
  let lastSched = start;
  let maxBlockMs = 0;
  let maxCpuBlockMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    const sched = schedMs();
    const blockMs = now - last - resolutionMs;
    if (blockMs > minBlockMs) {
      const block = { at: Date.now(), blockMs, cpuMs: sched.cpu - lastSched.cpu, waitMs: sched.wait - lastSched.wait };
      maxBlockMs = Math.max(maxBlockMs, block.blockMs);
      maxCpuBlockMs = Math.max(maxCpuBlockMs, block.cpuMs);
      onBlock?.(block);
    }
    last = now;
    lastSched = sched;
  }, resolutionMs);
  timer.unref();
  return {
    /** Stops sampling; the longest block, the longest time on a CPU within one, and the wait for a core, since the start. */
    stop() {
      clearInterval(timer);
      return { maxBlockMs, maxCpuBlockMs, waitMs: schedMs().wait - start.wait };
    },
  };
}
