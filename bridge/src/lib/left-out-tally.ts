/**
 * Counts what a cap leaves out once, not at every poll or render. Each poll (or /metrics render) leaves out much the
 * same (the same apps past a cap, the same queues past it), and its counter must not grow while nothing new is left
 * out: it grows by the rise, per key (an app, or one key for a whole cap), of the number left out since the time
 * before. Memory is one number per key with something left out, never one entry per thing left out (400,000 queues
 * past a cap are 4,000 apps). Within one key, something left out that replaces another left out at the same number
 * is not counted: a lower bound, where counting each time would count the same items again and again.
 */
export class LeftOutTally {
  private last = new Map<string, number>();
  private next = new Map<string, number>();

  /** This time leaves out `count` more under `key`. */
  add(key: string, count = 1): void {
    this.next.set(key, (this.next.get(key) ?? 0) + count);
  }

  /** Ends a poll or render: what it left out beyond what the one before left out, per key, summed. */
  settle(): number {
    let rise = 0;
    for (const [key, count] of this.next) rise += Math.max(0, count - (this.last.get(key) ?? 0));
    this.last = this.next;
    this.next = new Map();
    return rise;
  }
}
