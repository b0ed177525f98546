export interface QuasarLimits {
  /** Most agents' nodes one read keeps (valid ones: invalid values never count). */
  maxNodes: number;
  /** Most bytes of values one read fetches, valid or not (measured in Redis before anything is read). */
  maxBytes: number;
  /** Most `gravito:quasar:node:*` keys one scan collects (the key list's own memory). */
  maxKeys: number;
}

/**
 * One read's tally against its caps. Two different things are bounded: what is fetched (every value's bytes,
 * valid or not, planned from their lengths before any is read) and what is kept (valid nodes only, by count: junk
 * never takes a valid node's place). Whatever a cap leaves out is counted.
 */
export class ReadBudget {
  /** Keys the byte cap left unread, and valid nodes past the count cap. */
  leftOut = 0;

  /** `planned` bytes and `kept` nodes already taken (a read of some keys, beside the ones it leaves as they are). */
  constructor(
    private readonly limits: QuasarLimits,
    private planned = 0,
    private kept = 0,
  ) {}

  /** A value of `bytes` to fetch: planned while the read's bytes allow it, else left out (counted). */
  plan(bytes: number): boolean {
    if (this.planned + bytes > this.limits.maxBytes) {
      this.leftOut++;
      return false;
    }
    this.planned += bytes;
    return true;
  }

  /** A valid node: kept while the count cap allows it, else left out (counted). */
  keep(): boolean {
    if (this.kept >= this.limits.maxNodes) {
      this.leftOut++;
      return false;
    }
    this.kept++;
    return true;
  }

  /** No further node can be kept: fetching more would only be left out. */
  get full(): boolean {
    return this.kept >= this.limits.maxNodes;
  }
}
