import type { PulseHeartbeat } from '../schema/heartbeat.js';

/**
 * How a PulseNode written by a Pulse bridge (the Zenith mirror) is told apart from one a Quasar agent wrote:
 * its `meta` starts with this property. The bridge's reader skips such nodes (they are its own servers, already
 * read from `pulse:server:*`), and the mirror never overwrites a node without it.
 */
export const MIRROR_META_KEY = 'gravito_pulse';

export interface MirrorMeta {
  mirror: true;
  /** The `pulse:server:{app}:{id}` the node was mirrored from. */
  app: string;
  server: string;
  environment: string;
  /** The app's version (PulseNode's `version` holds the runtime's). */
  app_version: string;
}

/**
 * The text every mirrored node's JSON holds, as `JSON.stringify` writes it (the mirror's first meta property):
 * a write script can check a stored value for it without parsing JSON.
 */
export const MIRROR_MARK_JSON = `"${MIRROR_META_KEY}":{"mirror":true`;

/** A node the mirror wrote: its top-level `meta.gravito_pulse.mirror` is `true` (a mark nested deeper is not one). */
export function isMirroredNode(node: { readonly meta?: unknown }): boolean {
  const meta = node.meta as Record<string, unknown> | null | undefined;
  if (typeof meta !== 'object' || meta === null) return false;
  const mark = meta[MIRROR_META_KEY] as Partial<MirrorMeta> | null | undefined;
  return typeof mark === 'object' && mark !== null && mark.mirror === true;
}

/**
 * `isMirroredNode` of a stored value, as the mirror wrote it: it holds `MIRROR_MARK_JSON` (a value without that
 * text is told apart without parsing), and parsed, the mark sits at the top of its `meta`. So an agent whose own
 * meta nests `{"gravito_pulse":{"mirror":true}}` deeper is an agent's node: read, and never written over.
 */
export function isMirroredNodeJson(raw: string): boolean {
  if (!raw.includes(MIRROR_MARK_JSON)) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return false;
  }
  return typeof parsed === 'object' && parsed !== null && isMirroredNode(parsed);
}

/** `meta.sdk` of a heartbeat mapped from a PulseNode starts with this: the reader's own mark of its source. */
export const QUASAR_SDK_PREFIX = 'gravito-quasar/';

export type HeartbeatSource = 'gpp' | 'quasar';

/** Where a heartbeat came from: a GPP SDK (`pulse:server:*`) or a Quasar agent's node mapped by the bridge. */
export function heartbeatSource(heartbeat: PulseHeartbeat): HeartbeatSource {
  return heartbeat.meta.sdk?.startsWith(QUASAR_SDK_PREFIX) ? 'quasar' : 'gpp';
}
