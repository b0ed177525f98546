import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** Runs `fn`; its time, and the longest the event loop was held meanwhile (perf_hooks.monitorEventLoopDelay). */
export async function timeWithLoopBlock(fn: () => Promise<unknown>): Promise<{ ms: number; maxBlockMs: number }> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  // Let the delay timer fire once more, so that a block at the very end is recorded too.
  await new Promise((r) => setTimeout(r, 5));
  h.disable();
  // The histogram records (delay − resolution) in ns; its max is the longest the loop was held.
  return { ms, maxBlockMs: h.max / 1e6 };
}
