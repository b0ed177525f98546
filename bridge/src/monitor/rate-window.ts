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

  perMinute(now: number): number {
    const cutoff = now - this.windowMs;
    let first = 0;
    while (first < this.times.length && (this.times[first] as number) < cutoff) first++;
    if (first > 0) this.times.splice(0, first);
    return Math.round((this.times.length / (this.windowMs / 60_000)) * 100) / 100;
  }
}
