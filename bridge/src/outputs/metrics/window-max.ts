/**
 * Trailing window of `pulse_slow_route_max_duration_seconds`. Prometheus samples the gauge once per scrape, so a
 * value must stay visible for at least one scrape interval: with the default 60 s window, any scrape interval
 * up to 60 s sees every entry at least once, and `max_over_time(…[$__range])` is the slowest entry of the range.
 */
export const SLOW_ROUTE_WINDOW_MS = 60_000;
/**
 * The window is kept in fixed slots, so that a series holds at most `window / slot + 1` numbers, however many
 * entries it gets. An entry stays visible between `window` and `window + slot` after it was read.
 */
export const SLOW_ROUTE_SLOT_MS = 5_000;

interface Slot {
  start: number;
  max: number;
}

interface Series<L> {
  labels: L;
  slots: Slot[];
}

/**
 * The largest value seen per label set over a trailing time window. Memory is bounded per series (one number
 * per slot) and series whose window is empty are dropped, so a label set that stops appearing disappears. The
 * number of series is bounded by the caller's label caps (the label sets are those of a capped counter).
 */
export class WindowMax<L> {
  private readonly series = new Map<string, Series<L>>();

  constructor(
    private readonly windowMs = SLOW_ROUTE_WINDOW_MS,
    private readonly slotMs = SLOW_ROUTE_SLOT_MS,
  ) {}

  /** Records `value` for `labels` at `now` (ms, from a clock that does not jump: `performance.now()`). */
  observe(key: string, labels: L, value: number, now: number): void {
    if (!Number.isFinite(value)) return;
    let series = this.series.get(key);
    if (!series) {
      series = { labels, slots: [] };
      this.series.set(key, series);
    }
    this.expire(series, now);
    const start = Math.floor(now / this.slotMs) * this.slotMs;
    const last = series.slots[series.slots.length - 1];
    // A clock that went back folds into the newest slot rather than growing the list.
    if (last && start <= last.start) last.max = Math.max(last.max, value);
    else series.slots.push({ start, max: value });
  }

  /** Each live series with its largest value in the window; expired slots and empty series are dropped. */
  collect(now: number): Array<{ labels: L; value: number }> {
    const out: Array<{ labels: L; value: number }> = [];
    for (const [key, series] of this.series) {
      this.expire(series, now);
      if (series.slots.length === 0) {
        this.series.delete(key);
        continue;
      }
      let max = Number.NEGATIVE_INFINITY;
      for (const slot of series.slots) if (slot.max > max) max = slot.max;
      out.push({ labels: series.labels, value: max });
    }
    return out;
  }

  get size(): number {
    return this.series.size;
  }

  /** A slot lives until `window + slot` after its start: each of its entries is kept for at least `window`. */
  private expire(series: Series<L>, now: number): void {
    let drop = 0;
    while (drop < series.slots.length && (series.slots[drop] as Slot).start + this.windowMs + this.slotMs <= now) drop++;
    if (drop > 0) series.slots.splice(0, drop);
  }
}
