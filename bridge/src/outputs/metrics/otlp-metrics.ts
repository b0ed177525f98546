import type { Registry } from 'prom-client';
import { OTLP_EVENTS, OTLP_SIGNALS, type OtlpCounts } from '../../sources/otlp/counts.js';
import { countFrom } from './count-from.js';
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
      countFrom(
        M.otlpEvents,
        () =>
          OTLP_SIGNALS.flatMap((signal) => OTLP_EVENTS.map((event) => [{ signal, event }, counts?.values[signal][event] ?? 0] as const)),
        registry,
      );
    },
    renderers: base.renderers,
  };
}
