import { HEARTBEAT_TTL_SECONDS } from '../constants.js';

/**
 * Liveness of a server that reports over OTLP (README, "OTLP: liveness"). SDKs export metrics every 60 s by default
 * (`OTEL_METRIC_EXPORT_INTERVAL`), while a GPP heartbeat lives 30 s; so a heartbeat mapped from OTLP carries the
 * server's own export interval as `meta.interval_ms` (readers call it lost after 3 × that) and lives as long:
 * - the interval is the time between the collection times of two exports in a row (the points' `timeUnixNano`, the
 *   client's clock on both ends, so network delays and retried exports do not shorten it);
 * - before a second export, the age of the first export's cumulative series (`timeUnixNano - startTimeUnixNano`,
 *   about one interval for an SDK that just started), at most the SDK default of 60 s;
 * - kept between 1 s and 10 minutes.
 */
export const OTLP_DEFAULT_EXPORT_INTERVAL_MS = 60_000;
export const OTLP_MIN_INTERVAL_MS = 1_000;
export const OTLP_MAX_INTERVAL_MS = 600_000;
/** A reader calls a server lost when its heartbeat is older than this many of its intervals (the bridge does). */
export const LOST_AFTER_INTERVALS = 3;

export function clampInterval(ms: number): number {
  return Math.round(Math.min(OTLP_MAX_INTERVAL_MS, Math.max(OTLP_MIN_INTERVAL_MS, ms)));
}

/**
 * The heartbeat key's TTL, in seconds, for a server exporting every `intervalMs`: as long as a reader waits before it
 * calls the server lost (3 intervals), and never shorter than GPP's 30 s. So the key is still there when the reader
 * turns the server lost, and gone once a stopped exporter can no longer be coming back.
 */
export function otlpHeartbeatTtlSeconds(intervalMs: number): number {
  return Math.max(HEARTBEAT_TTL_SECONDS, Math.ceil((LOST_AFTER_INTERVALS * clampInterval(intervalMs)) / 1000));
}
