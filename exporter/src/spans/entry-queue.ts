import type { ErrorEntry, SlowEntry } from '@gravito/pulse-protocol';

export type QueuedEntry = ({ type: 'slow'; app: string; entry: SlowEntry } | { type: 'error'; app: string; entry: ErrorEntry }) & {
  /** When its first write failed (ms), once it has; a retry is given up past the retry window. */
  failedSince?: number;
};

/** What an entry holds besides its text: its numbers, ids and the object itself. */
const ENTRY_OVERHEAD_BYTES = 256;

/**
 * About what an entry holds in memory: its text fields' length (UTF-16 code units; V8 keeps most as one byte each,
 * so this errs high) plus a fixed overhead. A stack can be 16 K characters, so counting entries alone would let a
 * burst of exceptions hold tens of MB. The host snapshot is one object shared by every entry of a second: not counted.
 */
export function entryBytes(item: QueuedEntry): number {
  let bytes = ENTRY_OVERHEAD_BYTES + item.app.length;
  const entry = item.entry as unknown as Record<string, unknown>;
  for (const key in entry) {
    const value = entry[key];
    if (typeof value === 'string') bytes += value.length;
  }
  return bytes;
}

/**
 * A bounded FIFO of entries waiting for the next flush, capped in entries and in bytes (`entryBytes`). `offer` never
 * grows it past either cap: a full queue refuses, and the caller counts the drop.
 */
export class EntryQueue {
  private items: QueuedEntry[] = [];
  private heldBytes = 0;

  constructor(
    readonly capacity: number,
    readonly capacityBytes: number,
  ) {}

  get size(): number {
    return this.items.length;
  }

  get bytes(): number {
    return this.heldBytes;
  }

  get full(): boolean {
    return this.items.length >= this.capacity || this.heldBytes >= this.capacityBytes;
  }

  offer(item: QueuedEntry): boolean {
    const bytes = entryBytes(item);
    if (this.items.length >= this.capacity || this.heldBytes + bytes > this.capacityBytes) return false;
    this.items.push(item);
    this.heldBytes += bytes;
    return true;
  }

  /**
   * Puts back entries whose write failed, ahead of the newer ones, as far as there is room in both caps: retries
   * never grow the queue past them. Returns how many did not fit (the oldest of them are the ones left out).
   */
  requeue(failed: readonly QueuedEntry[]): number {
    let room = this.capacity - this.items.length;
    let roomBytes = this.capacityBytes - this.heldBytes;
    let first = failed.length;
    // Newest first: when not all fit, the oldest are the ones left out.
    while (first > 0 && room > 0) {
      const bytes = entryBytes(failed[first - 1] as QueuedEntry);
      if (bytes > roomBytes) break;
      room--;
      roomBytes -= bytes;
      first--;
    }
    const kept = failed.slice(first);
    this.items = [...kept, ...this.items];
    this.heldBytes = this.capacityBytes - roomBytes;
    return first;
  }

  /** Takes everything queued so far; entries offered from now on go to the next batch. */
  drain(): QueuedEntry[] {
    const batch = this.items;
    this.items = [];
    this.heldBytes = 0;
    return batch;
  }
}
