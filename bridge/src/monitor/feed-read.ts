/**
 * One read of an app's slow stream or exception set, not yet taken. Reading moves nothing: the tailer's cursor,
 * its rate window, its memory of repeats and the counts of what it skipped move only when the poll that read the
 * entries delivers them (`take`). A poll that fails part-way (a scan on a frozen master, the other feed's read,
 * a deadline) takes none of its reads, so the next poll reads the same entries again: every entry in Redis
 * reaches the feed and the counters once.
 */
export interface FeedRead<E> {
  /** Moves the tailer past this read and returns its events; called at most once, by the poll that delivers them. */
  take(): E[];
}

/** A read that found nothing to take (e.g. a feed whose key holds another type). */
export const NOTHING_READ: FeedRead<never> = { take: () => [] };
