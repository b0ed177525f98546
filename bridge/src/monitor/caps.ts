import type { Logger } from 'pino';

/**
 * The caps that leave data out, each counted in `pulse_bridge_cap_reached_total{cap}`:
 * - `apps`: apps past `maxApps` whose slow entries and exceptions are not followed, counted once (left-out-tally.ts);
 * - `exceptions`: exceptions of one read past its limit (`ERROR_READ_MAX` members or bytes), never shown;
 * - `heartbeat_keys`: heartbeat scans that stopped at `maxServers` keys;
 * - `api_reads`: JSON API requests answered 503 because too many reads were running and waiting;
 * - `metrics_servers`, `queue_apps`, `queues`: servers, apps with queues and queues that /metrics leaves out
 *   (counted by the metrics, once per thing left out: left-out-tally.ts).
 */
export type CapName = 'apps' | 'exceptions' | 'heartbeat_keys' | 'api_reads' | 'metrics_servers' | 'queue_apps' | 'queues';

/**
 * Most queues of one app that /metrics exports and the period views keep (the first seen); /metrics counts the rest
 * in `pulse_bridge_quasar_dropped_total{kind="queue"}`.
 */
export const MAX_QUEUES_PER_APP = 100;

/** Counts what every cap leaves out, and logs the first time each cap bites (a cap that bites once bites often). */
export class Caps {
  readonly counts: Record<CapName, number> = {
    apps: 0,
    exceptions: 0,
    heartbeat_keys: 0,
    api_reads: 0,
    metrics_servers: 0,
    queue_apps: 0,
    queues: 0,
  };
  private readonly logged = new Set<CapName>();

  constructor(private readonly log: Logger) {}

  reached(cap: CapName, leftOut: number, detail: Record<string, unknown>): void {
    if (leftOut <= 0) return;
    this.counts[cap] += leftOut;
    if (this.logged.has(cap)) return;
    this.logged.add(cap);
    this.log.warn(
      { cap, leftOut, ...detail },
      `cap reached (${cap}): data left out; counted in pulse_bridge_cap_reached_total, logged once`,
    );
  }
}
