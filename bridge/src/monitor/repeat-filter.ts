import { textHash } from '../lib/text-hash.js';

/**
 * Identities read lately, to tell a writer's repeat of a slow entry (protocol: `slowEntryIdentity`) from a new
 * one. Bounded by time (`windowMs`, on the stream-id clock) and by count (`max`, the oldest forgotten first);
 * only a short hash of each identity is kept.
 */
export class RepeatFilter {
  /** Hash → stream-id time, in the order read (stream order, so oldest first). */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly windowMs: number,
    private readonly max: number,
  ) {}

  /** Whether `identity` was read within the window before `at`; remembered from now on either way. */
  isRepeat(identity: string, at: number): boolean {
    // One hash per entry: this runs for every slow entry the live feed reads.
    const hash = textHash(identity);
    if (this.seenWithin(hash, at)) return true;
    this.keep(hash, at);
    return false;
  }

  /** Whether `identity` was remembered within the window before `at`, without remembering it. */
  has(identity: string, at: number): boolean {
    return this.seenWithin(textHash(identity), at);
  }

  /** Remembers `identity` as read at `at` (for a reader that remembers only what it committed). */
  remember(identity: string, at: number): void {
    this.keep(textHash(identity), at);
  }

  private seenWithin(hash: string, at: number): boolean {
    const when = this.seen.get(hash);
    return when !== undefined && when >= at - this.windowMs;
  }

  private keep(hash: string, at: number): void {
    for (const [old, when] of this.seen) {
      if (when >= at - this.windowMs && this.seen.size < this.max) break;
      this.seen.delete(old);
    }
    this.seen.set(hash, at);
  }
}
