import type { EntryQueue, QueuedEntry } from './entry-queue.js';

/**
 * How long an entry whose write failed is tried again, from its first failure. A Redis Cluster failover
 * (the master owning an app's stream dies, a replica takes over) takes `cluster-node-timeout` plus a few
 * seconds: 15 s with Redis's default, so a minute covers it with room. An entry that fails for longer (a
 * wrong-type key, a Redis out of memory) is dropped and counted rather than held forever.
 */
const RETRY_WINDOW_MS = 60_000;

/**
 * Entries whose write failed go back in the bounded queue, ahead of newer ones, for the next flush, while
 * they are within the retry window and the queue has room. The rest are lost (the caller counts them).
 */
export function retryFailed(queue: EntryQueue, failed: readonly QueuedEntry[], now: number): { retried: number; lost: number } {
  if (failed.length === 0) return { retried: 0, lost: 0 };
  const again: QueuedEntry[] = [];
  let expired = 0;
  for (const item of failed) {
    item.failedSince ??= now;
    if (now - item.failedSince > RETRY_WINDOW_MS) expired++;
    else again.push(item);
  }
  const overflow = queue.requeue(again);
  return { retried: again.length - overflow, lost: expired + overflow };
}
