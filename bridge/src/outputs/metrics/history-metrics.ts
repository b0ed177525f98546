import { Counter, type Registry } from 'prom-client';
import { HISTORY_EVENTS, type HistoryCounts } from '../../monitor/history/history-counts.js';
import type { MetricsExtension } from './extension.js';
import { PULSE_METRICS as M } from './names.js';

/** `base` plus `pulse_bridge_history_events_total{event}`: every event from the first scrape, at 0 with history off. */
export function withHistoryMetrics(base: MetricsExtension, counts: HistoryCounts | undefined): MetricsExtension {
  return {
    register(registry: Registry) {
      base.register(registry);
      const last = new Map<string, number>();
      new Counter({
        name: M.historyEvents.name,
        help: M.historyEvents.help,
        labelNames: M.historyEvents.labelNames,
        registers: [registry],
        collect() {
          for (const event of HISTORY_EVENTS) {
            const now = counts?.values[event] ?? 0;
            this.inc({ event }, Math.max(0, now - (last.get(event) ?? 0)));
            last.set(event, now);
          }
        },
      });
    },
    renderers: base.renderers,
  };
}
