/**
 * Gravito Zenith's key family, as its Quasar agents write it and its PulseService scans it.
 * Unlike `pulse:*` keys, its parts are whatever the agent was given (a service name, `{hostname}-{pid}`):
 * Zenith never escapes them, so neither does `quasarNodeKey`.
 */

export const QUASAR_NODE_KEY_PREFIX = 'gravito:quasar:node:';
/** Zenith's own SCAN MATCH pattern. */
export const QUASAR_NODE_SCAN_PATTERN = `${QUASAR_NODE_KEY_PREFIX}*`;
/** Agents write `EX 30`. */
export const QUASAR_NODE_TTL_SECONDS = 30;
/** Agents write every 10 s (QuasarAgent's default `interval`). */
export const QUASAR_NODE_INTERVAL_MS = 10_000;
/** Zenith drops a node whose `timestamp` is this old or older, even if its key is still there. */
export const QUASAR_NODE_STALE_MS = 60_000;
/** Largest PulseNode value the bridge reads; larger ones are rejected before JSON parsing. */
export const MAX_PULSE_NODE_BYTES = 64 * 1024;

export interface QuasarNodeKeyParts {
  service: string;
  id: string;
}

/** `gravito:quasar:node:{service}:{id}`. A service name holding `:` would not parse back: it is refused. */
export function quasarNodeKey(service: string, id: string): string {
  if (service.length === 0 || id.length === 0 || service.includes(':')) {
    throw new RangeError(
      `a Quasar node key needs a non-empty service without ":" and a non-empty id (got ${JSON.stringify(service)}, ${JSON.stringify(id)})`,
    );
  }
  return `${QUASAR_NODE_KEY_PREFIX}${service}:${id}`;
}

/**
 * Parses `gravito:quasar:node:{service}:{id}`. The service ends at the first `:` after the prefix and the id is
 * the rest (an id may hold `:`, e.g. an IPv6 host name). Anything else gives `undefined`.
 */
export function parseQuasarNodeKey(key: string): QuasarNodeKeyParts | undefined {
  if (!key.startsWith(QUASAR_NODE_KEY_PREFIX)) return undefined;
  const rest = key.slice(QUASAR_NODE_KEY_PREFIX.length);
  const colon = rest.indexOf(':');
  if (colon <= 0 || colon === rest.length - 1) return undefined;
  return { service: rest.slice(0, colon), id: rest.slice(colon + 1) };
}
