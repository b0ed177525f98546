/** Events per minute over a sliding window, from the timestamps of the events seen; bounded. */
export class RateWindow {
  private times: number[] = [];

  constructor(
    private readonly windowMs = 300_000,
    private readonly cap = 10_000,
  ) {}

  add(timestamp: number): void {
    this.times.push(timestamp);
    // Past the cap the oldest go first: the rate then reads as "at least" this much.
    if (this.times.length > this.cap) this.times.splice(0, this.times.length - this.cap);
  }

  /** Until when `perMinute` reads the same unless an event is added: the moment its oldest event leaves the window. */
  steadyUntil(): number {
    const oldest = this.times[0];
    return oldest === undefined ? Number.POSITIVE_INFINITY : oldest + this.windowMs;
  }

  perMinute(now: number): number {
    const cutoff = now - this.windowMs;
    let first = 0;
    while (first < this.times.length && (this.times[first] as number) < cutoff) first++;
    if (first > 0) this.times.splice(0, first);
    return Math.round((this.times.length / (this.windowMs / 60_000)) * 100) / 100;
  }
}
