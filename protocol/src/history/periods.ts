/**
 * History periods, as Laravel Pulse has them: 1 h, 6 h, 24 h and 7 d, each cut into 60 buckets (1 h → 1 min,
 * 6 h → 6 min, 24 h → 24 min, 7 d → 168 min). Every period is written on its own (4 bucket writes per figure)
 * rather than derived from the smallest bucket at read time: a 7 d read then takes 60 buckets, not 10,080.
 */
export const HISTORY_PERIODS = ['1h', '6h', '24h', '7d'] as const;
export type HistoryPeriod = (typeof HISTORY_PERIODS)[number];

export const HISTORY_PERIOD_MS: Readonly<Record<HistoryPeriod, number>> = {
  '1h': 3_600_000,
  '6h': 21_600_000,
  '24h': 86_400_000,
  '7d': 604_800_000,
};

export const HISTORY_BUCKETS_PER_PERIOD = 60;

export function isHistoryPeriod(value: string): value is HistoryPeriod {
  return (HISTORY_PERIODS as readonly string[]).includes(value);
}

/**
 * A period's length and bucket length. `timeScale` (tests only) divides both: at 60, the 1 h period lasts one
 * minute in buckets of one second. Writers and readers of one Redis must use the same scale.
 */
export function historyPeriodSpan(period: HistoryPeriod, timeScale = 1): { periodMs: number; bucketMs: number } {
  const periodMs = Math.max(HISTORY_BUCKETS_PER_PERIOD, Math.round(HISTORY_PERIOD_MS[period] / timeScale));
  return { periodMs, bucketMs: Math.round(periodMs / HISTORY_BUCKETS_PER_PERIOD) };
}

/** Start (epoch ms) of the bucket that holds `at`: buckets are aligned on multiples of their length since the epoch. */
export function historyBucketStart(at: number, bucketMs: number): number {
  return Math.floor(at / bucketMs) * bucketMs;
}

/** When a bucket's keys expire (epoch ms): once the bucket has left its period. */
export function historyBucketExpiry(start: number, span: { periodMs: number; bucketMs: number }): number {
  return start + span.periodMs + span.bucketMs;
}
