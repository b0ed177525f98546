import type { ErrorEntry, SlowEntry } from '@gravito/pulse-protocol';

export type QueuedEntry = { type: 'slow'; app: string; entry: SlowEntry } | { type: 'error'; app: string; entry: ErrorEntry };

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

  /** Takes everything queued so far; entries offered from now on go to the next batch. */
  drain(): QueuedEntry[] {
    const batch = this.items;
    this.items = [];
    return batch;
  }
}
