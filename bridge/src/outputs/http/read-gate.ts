/** The JSON API is busy: answered 503 with Retry-After. */
export class ApiBusy extends Error {}

/**
 * Bounds the Redis reads behind the JSON API, however many callers there are: identical reads in flight are
 * shared (one Redis read for every caller asking the same thing at once), at most `maxActive` different reads
 * run at once, at most `maxWaiting` wait, and the rest are refused at once. Each read returns at most a few MB
 * (see PulseApi), so Redis's output buffer for the bridge stays under `maxActive` × that.
 */
export class ReadGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(
    private readonly maxActive: number,
    private readonly maxWaiting: number,
    private readonly onRefused: () => void,
  ) {}

  run<T>(key: string, read: () => Promise<T>): Promise<T> {
    const same = this.inFlight.get(key);
    if (same) return same as Promise<T>;
    if (this.active >= this.maxActive && this.waiting.length >= this.maxWaiting) {
      this.onRefused();
      return Promise.reject(new ApiBusy(`${this.maxActive} reads running and ${this.maxWaiting} waiting`));
    }
    const result = this.acquire()
      .then(read)
      .finally(() => {
        this.inFlight.delete(key);
        this.release();
      });
    this.inFlight.set(key, result);
    return result;
  }

  private acquire(): Promise<void> {
    if (this.active < this.maxActive) {
      this.active++;
      return Promise.resolve();
    }
    // The slot is handed over by release(): `active` stays the same.
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}
