// Which view the page shows: Live (the SSE feed) or a period of history. It lives in the address (`?period=1h`,
// `&sort=max`), beside `?app=`, so that a reload, a bookmark and back/forward keep it.

import type { HistoryPeriod } from './period-data.js';

export type { HistoryPeriod };
/** Live, then the history route's periods (`period=` of `GET /api/pulse/history`), checked against the protocol's. */
export type Period = 'live' | HistoryPeriod;
export const PERIODS: readonly Period[] = ['live', '1h', '6h', '24h', '7d'];

export const SORTS = ['count', 'max'] as const;
export type Sort = (typeof SORTS)[number];

export const PERIOD_LABELS: Record<Period, string> = { live: 'Live', '1h': '1 h', '6h': '6 h', '24h': '24 h', '7d': '7 d' };
export const PERIOD_WORDS: Record<HistoryPeriod, string> = {
  '1h': 'the last hour',
  '6h': 'the last 6 hours',
  '24h': 'the last 24 hours',
  '7d': 'the last 7 days',
};

export interface ViewChoice {
  period: Period;
  sort: Sort;
}

function oneOf<T extends string>(list: readonly T[], value: string | null, fallback: T): T {
  return list.includes(value as T) ? (value as T) : fallback;
}

/** The view named in a query string; anything unknown (a mistyped address) is Live, sorted by count. */
export function viewChoice(search: string): ViewChoice {
  const query = new URLSearchParams(search);
  return { period: oneOf(PERIODS, query.get('period'), 'live'), sort: oneOf(SORTS, query.get('sort'), 'count') };
}

/** The page's own address with `choice` in it; other parameters (`app=`) and the fragment are kept. Live and the default sort are left out. */
export function addressWith(location: Pick<Location, 'pathname' | 'search' | 'hash'>, choice: ViewChoice): string {
  const query = new URLSearchParams(location.search);
  if (choice.period === 'live') query.delete('period');
  else query.set('period', choice.period);
  if (choice.period === 'live' || choice.sort === 'count') query.delete('sort');
  else query.set('sort', choice.sort);
  const search = query.toString();
  return `${location.pathname}${search === '' ? '' : `?${search}`}${location.hash}`;
}
