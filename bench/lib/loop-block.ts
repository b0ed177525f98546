import { performance } from 'node:perf_hooks';
import { type LoopGapTotals, startLoopGaps } from './loop-gaps.mjs';

/**
 * Runs `fn`; its time, the longest the event loop went without a turn meanwhile, the longest time the main
 * thread spent on a CPU within one such block (the block's own work, GC included; the rest of it was waiting for
 * a core that other processes held: Redis shares this machine), and how long in all it waited for a core.
 */
export async function timeWithLoopBlock(fn: () => Promise<unknown>): Promise<{ ms: number } & LoopGapTotals> {
  const gaps = startLoopGaps({ resolutionMs: 1 });
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  // Let the sampler run once more, so that a block at the very end is recorded too.
  await new Promise((r) => setTimeout(r, 5));
  return { ms, ...gaps.stop() };
}
