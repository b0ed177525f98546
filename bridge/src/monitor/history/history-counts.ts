/**
 * What history did, for `pulse_bridge_history_events_total{event}` (plain numbers, folded in at each scrape):
 * - `slow_counted`, `exceptions_counted`: entries added to the buckets (each period once);
 * - `slow_folded`, `exceptions_folded`: entries of a group past the per-bucket cap, counted in `other`;
 * - `slow_gaps`: reads that found the cursor's entry trimmed, so entries after it may be lost to history;
 * - `exception_gaps`: reads that found the set trimmed past the cursor (full, or older than the writers' 1 h);
 * - `exceptions_left_out`: members of one score past a whole read, never counted;
 * - `cursor_conflicts`: passes refused because another bridge moved the cursor first (read again next time);
 * - `passes_failed`, `writes_failed`: counting passes and series writes that Redis failed (retried next time);
 * - `servers_left_out`: servers past the cap of servers with a series (per poll, counted once per rise);
 * - `script_refused`: 1 once Redis refused the apply script (counting goes on with WATCH and MULTI/EXEC);
 * - `transactions_refused`: 1 once Redis refused those too (counting is off);
 * - `commands_refused`: 1 once Redis refused a command the pass needs (counting is off).
 */
export const HISTORY_EVENTS = [
  'slow_counted',
  'exceptions_counted',
  'slow_folded',
  'exceptions_folded',
  'slow_gaps',
  'exception_gaps',
  'exceptions_left_out',
  'cursor_conflicts',
  'passes_failed',
  'writes_failed',
  'servers_left_out',
  'script_refused',
  'transactions_refused',
  'commands_refused',
] as const;
export type HistoryEvent = (typeof HISTORY_EVENTS)[number];

export class HistoryCounts {
  readonly values = Object.fromEntries(HISTORY_EVENTS.map((e) => [e, 0])) as Record<HistoryEvent, number>;

  add(event: HistoryEvent, n = 1): void {
    if (n > 0) this.values[event] += n;
  }
}
