import { HISTORY_PERIOD_MS, HISTORY_PERIODS, type HistoryPeriod } from '@gravito/pulse-protocol';

/** `PULSE_HISTORY`: `off`, or the longest period kept (`on` is `7d`). */
export type HistoryRetention = HistoryPeriod | 'off';

export interface HistoryOptions {
  retention: HistoryRetention;
  /** Tests only: divides every period and bucket (60: the 1 h period lasts a minute, in 1 s buckets). */
  timeScale: number;
  /**
   * Exceptions are scored by their writer's clock and may land late (batching, skew): a score is counted once
   * the bridge's clock is this far past it. One written later than that after its timestamp is never counted.
   */
  settleMs: number;
  /** Distinct slow groups (kind and name) per app and bucket; entries of any further group count in `slow_other`. */
  maxSlowGroups: number;
  /** Distinct exception fingerprints per app and bucket; further ones count in `exceptions_other`. */
  maxExceptionGroups: number;
  /** Servers with a CPU, memory and event-loop series, in all, in snapshot order; the rest have none (counted). */
  maxServers: number;
  /** Apps whose slow entries and exceptions are counted, in snapshot order (the monitor follows as many). */
  maxApps: number;
}

export const HISTORY_DEFAULTS: HistoryOptions = {
  retention: '7d',
  timeScale: 1,
  settleMs: 10_000,
  maxSlowGroups: 200,
  maxExceptionGroups: 200,
  maxServers: 1_000,
  maxApps: 1_000,
};

/** The periods written: those no longer than the retention. */
export function keptPeriods(retention: HistoryRetention): HistoryPeriod[] {
  if (retention === 'off') return [];
  return HISTORY_PERIODS.filter((p) => HISTORY_PERIOD_MS[p] <= HISTORY_PERIOD_MS[retention]);
}

/** Reads `PULSE_HISTORY`: on/1/true (7 d), off/0/false, or 1h, 6h, 24h, 7d; undefined when it is none of these. */
export function parseHistoryRetention(raw: string): HistoryRetention | undefined {
  const value = raw.trim().toLowerCase();
  if (['1', 'on', 'true', 'yes'].includes(value)) return '7d';
  if (['0', 'off', 'false', 'no'].includes(value)) return 'off';
  return (HISTORY_PERIODS as readonly string[]).includes(value) ? (value as HistoryPeriod) : undefined;
}
