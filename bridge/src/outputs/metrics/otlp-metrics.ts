import { Counter, type Registry } from 'prom-client';
import { OTLP_EVENTS, OTLP_SIGNALS, type OtlpCounts } from '../../sources/otlp/counts.js';
import type { MetricsExtension } from './extension.js';
import { PULSE_METRICS as M } from './names.js';

/**
 * `base` (the Quasar family set) plus `pulse_bridge_otlp_events_total{signal, event}`: every label pair from the first
 * scrape, at 0 with the receiver off.
 */
export function withOtlpMetrics(base: MetricsExtension, counts: OtlpCounts | undefined): MetricsExtension {
  return {
    register(registry: Registry) {
      base.register(registry);
      const last = new Map<string, number>();
      new Counter({
        name: M.otlpEvents.name,
        help: M.otlpEvents.help,
        labelNames: M.otlpEvents.labelNames,
        registers: [registry],
        collect() {
          for (const signal of OTLP_SIGNALS) {
            for (const event of OTLP_EVENTS) {
              const now = counts?.values[signal][event] ?? 0;
              const key = `${signal}/${event}`;
              this.inc({ signal, event }, Math.max(0, now - (last.get(key) ?? 0)));
              last.set(key, now);
            }
          }
        },
      });
    },
    renderers: base.renderers,
  };
}
