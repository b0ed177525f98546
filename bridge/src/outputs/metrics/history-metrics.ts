import type { Registry } from 'prom-client';
import { HISTORY_EVENTS, type HistoryCounts } from '../../monitor/history/history-counts.js';
import { countFrom } from './count-from.js';
import type { MetricsExtension } from './extension.js';
import { PULSE_METRICS as M } from './names.js';

/** `base` plus `pulse_bridge_history_events_total{event}`: every event from the first scrape, at 0 with history off. */
export function withHistoryMetrics(base: MetricsExtension, counts: HistoryCounts | undefined): MetricsExtension {
  return {
    register(registry: Registry) {
      base.register(registry);
      countFrom(M.historyEvents, () => HISTORY_EVENTS.map((event) => [{ event }, counts?.values[event] ?? 0] as const), registry);
    },
    renderers: base.renderers,
  };
}
