import { performance } from 'node:perf_hooks';
import { type LoopGapTotals, schedMs, startLoopGaps } from './loop-gaps.mjs';

/**
 * Runs `fn`; its time, the event loop's busy time and the main thread's time on a CPU while it ran, the longest
 * the event loop went without a turn meanwhile, the longest time the main thread spent on a CPU within one such
 * block (the block's own work, GC included; the rest of it was waiting for a core that other processes held:
 * Redis shares this machine), and how long in all it waited for a core.
 */
export async function timeWithLoopBlock(
  fn: () => Promise<unknown>,
): Promise<{ ms: number; busyMs: number; cpuMs: number } & LoopGapTotals> {
  const gaps = startLoopGaps({ resolutionMs: 1 });
  const loopBefore = performance.eventLoopUtilization();
  const cpuBefore = schedMs().cpu;
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  // Taken before the wait below: the sampler's own turns then are not `fn`'s.
  const busyMs = performance.eventLoopUtilization(loopBefore).active;
  const cpuMs = schedMs().cpu - cpuBefore;
  // Let the sampler run once more, so that a block at the very end is recorded too.
  await new Promise((r) => setTimeout(r, 5));
  return { ms, busyMs, cpuMs, ...gaps.stop() };
}
