import { LoopSlice } from './loop-slice.js';

/**
 * Longest run of parsing before the event loop is given back (SSE writes, /metrics, and the SCAN replies the
 * tick itself waits on). Measured by the clock rather than by a count of values: heartbeats vary in size, and
 * one queue for every fetched chunk keeps the bound however many chunks arrive together. 1 ms rather than 2–8:
 * the SCAN chain, answered sooner, ends sooner (bench/bridge-tick.ts, side by side), for ~100 yields a tick.
 */
const PARSE_BUDGET_MS = 1;
/** Values parsed between two looks at the clock. */
const CLOCK_EVERY = 16;

/**
 * Parses fetched chunks one value at a time, in arrival order, through one queue: a run stops once it has held
 * the event loop for `PARSE_BUDGET_MS`, and goes on after `setImmediate`. (Slicing each chunk on its own let
 * every chunk in flight take a slice in the same turn of the loop, so a turn grew with the number of chunks.)
 */
export class SlicedParser<V> {
  private readonly chunks: { keys: readonly string[]; values: readonly V[] }[] = [];
  /** The last run: a run may finish before its promise is even assigned, so `active` tells whether one is going. */
  private running: Promise<void> = Promise.resolve();
  private active = false;
  private failure: unknown;

  constructor(private readonly parse: (key: string, raw: V | undefined) => void) {}

  add(keys: readonly string[], values: readonly V[]): void {
    this.chunks.push({ keys, values });
    if (this.active) return;
    this.active = true;
    this.running = this.run();
  }

  /** Settles once every chunk added so far is parsed. */
  async done(): Promise<void> {
    await this.running;
    if (this.failure !== undefined) throw this.failure;
  }

  private async run(): Promise<void> {
    try {
      const slice = new LoopSlice(PARSE_BUDGET_MS, CLOCK_EVERY);
      for (let c = 0; c < this.chunks.length; c++) {
        const { keys, values } = this.chunks[c] as { keys: readonly string[]; values: readonly V[] };
        for (let i = 0; i < keys.length; i++) {
          if (slice.due()) await slice.yield();
          this.parse(keys[i] as string, values[i]);
        }
      }
    } catch (err) {
      this.failure ??= err;
    } finally {
      this.chunks.length = 0;
      this.active = false;
    }
  }
}
