// The answer of `GET /api/pulse/history`, typed by the protocol's `HistoryResponse` (types only: no validator code
// in the bundle). Series hold only the buckets that have data; a figure not measured is absent or null, never 0.
import type { HistoryAppView, HistoryQueueView, HistoryResponse } from '@gravito/pulse-protocol';

export type { HistoryPeriod } from '@gravito/pulse-protocol';
export type HistoryJson = HistoryResponse;
export type HistoryApp = HistoryAppView;
export type HistoryQueue = HistoryQueueView;
export type HistorySlowGroup = HistoryApp['slow'][number];
export type HistoryExceptionGroup = HistoryApp['exceptions'][number];
export type SlowKind = HistorySlowGroup['kind'];

/** Enough of the shape to draw from: a wrong answer (a proxy's page, an older bridge) is a failure, not a blank view. */
export function isHistoryJson(value: unknown): value is HistoryJson {
  const v = value as Partial<HistoryJson> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.bucket_ms === 'number' &&
    v.bucket_ms > 0 &&
    typeof v.from === 'number' &&
    typeof v.to === 'number' &&
    v.to > v.from &&
    Array.isArray(v.apps) &&
    Array.isArray(v.queues)
  );
}
