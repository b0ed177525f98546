import { ERRORS_MAX_MEMBERS, ERRORS_WINDOW_MS, errorsKey, slowKey } from '@gravito/pulse-protocol';
import { ERROR_PAGE, ERROR_READ_BYTES, ERROR_READ_MAX, SLOW_PAGE, SLOW_READ_BYTES, SLOW_READ_COUNT } from '../tailers.js';
import type { PassPipeline } from './pass-pipeline.js';

export type StreamEntry = [id: string, fields: string[]];

/** The stream's start, as a cursor: nothing counted yet. */
export const STREAM_START = '0-0';

export interface SlowAfter {
  /** Entries after the cursor, oldest first (at most SLOW_READ_COUNT or SLOW_READ_BYTES; the rest next time). */
  entries: StreamEntry[];
  /** The cursor's own entry was gone: entries after it may have been trimmed (MAXLEN) before they were read. */
  gap: boolean;
}

/**
 * The slow entries after `cursor` (a stream id), read from the cursor itself (`XRANGE key cursor +`) so that
 * its presence tells whether the stream rotated past it: MAXLEN trims the oldest entries first, so while the
 * cursor's entry is still there, nothing after it was trimmed.
 */
export async function readSlowAfter(commands: PassPipeline, app: string, cursor: string): Promise<SlowAfter> {
  const key = slowKey(app);
  const entries: StreamEntry[] = [];
  let bytes = 0;
  let from = cursor === STREAM_START ? '-' : cursor;
  let gap = false;
  let first = true;
  while (entries.length < SLOW_READ_COUNT && bytes < SLOW_READ_BYTES) {
    const page = await commands.call<StreamEntry[]>('XRANGE', key, from, '+', 'COUNT', SLOW_PAGE);
    let taken = page;
    if (first && cursor !== STREAM_START) {
      if (page[0]?.[0] === cursor) taken = page.slice(1);
      else gap = page.length > 0;
    }
    first = false;
    for (const entry of taken) {
      for (const field of entry[1]) bytes += field.length;
      entries.push(entry);
    }
    if (page.length < SLOW_PAGE) break;
    from = `(${(page[page.length - 1] as StreamEntry)[0]}`;
  }
  return { entries, gap };
}

export interface ErrorsAfter {
  /** Members and their scores, oldest first. */
  members: { member: string; score: number }[];
  /** The new cursor: every member scored up to it (and above the old one) is in `members`. */
  cursor: number;
  /** Members at one score past the read bound, never read (one millisecond holding more than ERROR_READ_MAX). */
  leftOut: number;
  /**
   * Nothing at or below the cursor is left, and the set was trimmed (it is full, or the cursor is older than the
   * writers' window): members after the cursor may have been trimmed unread.
   */
  gap: boolean;
}

/**
 * The exceptions scored in (`cursor`, `bound`], in pages, oldest first. Past the read bound the read stops at a
 * score boundary, so that the cursor (a score) never splits the members of one score.
 */
export async function readErrorsAfter(
  commands: PassPipeline,
  app: string,
  cursor: number,
  bound: number,
  now: number,
): Promise<ErrorsAfter> {
  const key = errorsKey(app);
  const low = Number.isFinite(cursor) ? `(${cursor}` : '-inf';
  // The set's size only matters once nothing at or below the cursor is left (rarely: the window keeps an hour).
  const gapCheck =
    Number.isFinite(cursor) &&
    commands
      .call<number>('ZCOUNT', key, '-inf', cursor)
      .then((atOrBelow) => (atOrBelow > 0 ? 0 : commands.call<number>('ZCARD', key)))
      .then((size) => size > 0 && (size >= ERRORS_MAX_MEMBERS || cursor < now - ERRORS_WINDOW_MS));
  // Awaited after the pages: a page that fails first must not leave it rejected unhandled.
  if (gapCheck) gapCheck.catch(() => {});
  const members: { member: string; score: number }[] = [];
  let bytes = 0;
  let full = false;
  for (;;) {
    const page = await commands.call<string[]>('ZRANGEBYSCORE', key, low, bound, 'WITHSCORES', 'LIMIT', members.length, ERROR_PAGE);
    for (let i = 0; i < page.length; i += 2) {
      const member = page[i] as string;
      bytes += member.length;
      members.push({ member, score: Number(page[i + 1]) });
    }
    if (page.length < ERROR_PAGE * 2) break;
    if (members.length >= ERROR_READ_MAX || bytes >= ERROR_READ_BYTES) {
      full = true;
      break;
    }
  }
  const gap = gapCheck ? await gapCheck : false;
  if (!full) return { members, cursor: bound, leftOut: 0, gap };
  // Cut at the last score boundary: the members of the last score read may go on past the page.
  const lastScore = (members[members.length - 1] as { score: number }).score;
  const kept = members.filter((m) => m.score < lastScore);
  if (kept.length > 0) return { members: kept, cursor: kept[kept.length - 1]?.score as number, leftOut: 0, gap };
  // One score holds more than a whole read: take what was read, and count the rest of that score as left out.
  const atScore = await commands.call<number>('ZCOUNT', key, lastScore, lastScore);
  return { members, cursor: lastScore, leftOut: Math.max(0, atScore - members.length), gap };
}
