import type { ErrorEntry, SlowEntry } from '@gravito/pulse-protocol';

export type QueuedEntry = ({ type: 'slow'; app: string; entry: SlowEntry } | { type: 'error'; app: string; entry: ErrorEntry }) & {
  /** When its first write failed (ms), once it has; a retry is given up past the retry window. */
  failedSince?: number;
};

/**
 * A bounded FIFO of entries waiting for the next flush. `offer` never grows it past its cap:
 * a full queue refuses, and the caller counts the drop.
 */
export class EntryQueue {
  private items: QueuedEntry[] = [];

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.items.length;
  }

  get full(): boolean {
    return this.items.length >= this.capacity;
  }

  offer(item: QueuedEntry): boolean {
    if (this.items.length >= this.capacity) return false;
    this.items.push(item);
    return true;
  }

  /**
   * Puts back entries whose write failed, ahead of the newer ones, as far as there is room: retries never grow
   * the queue past its cap. Returns how many did not fit (the oldest of them are the ones left out).
   */
  requeue(failed: readonly QueuedEntry[]): number {
    const room = Math.max(0, this.capacity - this.items.length);
    const kept = failed.length > room ? failed.slice(failed.length - room) : failed;
    this.items = [...kept, ...this.items];
    return failed.length - kept.length;
  }

  /** Takes everything queued so far; entries offered from now on go to the next batch. */
  drain(): QueuedEntry[] {
    const batch = this.items;
    this.items = [];
    return batch;
  }
}
