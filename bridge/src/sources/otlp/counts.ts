import { OTLP_REFUSAL_EVENTS } from './limits.js';

/**
 * What `pulse_bridge_otlp_events_total{signal, event}` counts. Requests: `accepted` (200, all taken), `partial`
 * (200 with items rejected), and one `refused_*` per refusal reason. Items: `rejected_items` (points or spans of
 * resources without an identity), `heartbeats_written`, `heartbeats_held` (a server whose export lacked a required
 * figure), `entries_written`, `invalid_payloads` (built, failed GPP's schema, not written), `servers_forgotten`.
 */
export const OTLP_EVENTS = [
  'accepted',
  'partial',
  ...OTLP_REFUSAL_EVENTS,
  'rejected_items',
  'heartbeats_written',
  'heartbeats_held',
  'entries_written',
  'invalid_payloads',
  'servers_forgotten',
] as const;
export type OtlpEvent = (typeof OTLP_EVENTS)[number];
export const OTLP_SIGNALS = ['metrics', 'traces'] as const;

/** Plain counters, read by the /metrics family at scrape time. */
export class OtlpCounts {
  readonly values: Record<(typeof OTLP_SIGNALS)[number], Record<OtlpEvent, number>> = {
    metrics: Object.fromEntries(OTLP_EVENTS.map((e) => [e, 0])) as Record<OtlpEvent, number>,
    traces: Object.fromEntries(OTLP_EVENTS.map((e) => [e, 0])) as Record<OtlpEvent, number>,
  };

  add(signal: (typeof OTLP_SIGNALS)[number], event: OtlpEvent, n = 1): void {
    this.values[signal][event] += n;
  }
}
