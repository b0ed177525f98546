/** Lets pending I/O (SSE writes, /metrics requests) run between slices of CPU work. */
export const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A run of CPU work cut into slices of about `budgetMs`, so that pending I/O (SSE writes, /metrics requests, the
 * poll's replies) runs between them. The clock is read every `clockEvery` steps only: a step can cost less than
 * reading it.
 *
 *     const slice = new LoopSlice(2, 256);
 *     for (const item of items) {
 *       if (slice.due()) await slice.yield();
 *       work(item);
 *     }
 */
export class LoopSlice {
  private started = performance.now();
  private steps = 0;

  constructor(
    private readonly budgetMs: number,
    private readonly clockEvery: number,
  ) {}

  /** Whether the loop is to be given back before this step: the slice's budget is spent. */
  due(): boolean {
    return this.steps++ % this.clockEvery === 0 && performance.now() - this.started >= this.budgetMs;
  }

  /** Gives the event loop back; the next slice starts when it comes back. */
  async yield(): Promise<void> {
    await yieldToLoop();
    this.started = performance.now();
  }
}
