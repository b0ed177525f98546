export interface LoopBlock {
  /** Date.now() when the block ended. */
  at: number;
  /** How much longer than the sampling resolution the loop went without a turn. */
  blockMs: number;
  /** The main thread's time on a CPU meanwhile: the process's own work, GC included. */
  cpuMs: number;
  /** The main thread's time runnable but waiting for a core meanwhile. */
  waitMs: number;
}

export interface LoopGapTotals {
  /** The longest the event loop went without a turn. */
  maxBlockMs: number;
  /** The longest time on a CPU within one block: the block without the time it waited for a core. */
  maxCpuBlockMs: number;
  /** How long in all the main thread was runnable but waiting for a core. */
  waitMs: number;
}

export function schedMs(): { cpu: number; wait: number };

export function startLoopGaps(options?: { resolutionMs?: number; minBlockMs?: number; onBlock?: (block: LoopBlock) => void }): {
  stop(): LoopGapTotals;
};
