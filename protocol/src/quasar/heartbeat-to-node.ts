import type { PulseHeartbeat } from '../schema/heartbeat.js';
import { MIRROR_META_KEY, type MirrorMeta } from './mirror-mark.js';
import { PULSE_NODE_LANGUAGES, type PulseNode, type PulseNodeLanguage } from './pulse-node.js';

/** What a node gets where the heartbeat says nothing (documented in the protocol README). */
export const HEARTBEAT_TO_NODE_DEFAULTS = { cores: 1, version: 'unknown', framework: 'Gravito Pulse' } as const;

const LANGUAGES = new Set<string>(PULSE_NODE_LANGUAGES);

/** Two decimals, as the Quasar Node agent writes its process CPU. */
const twoDecimals = (value: number) => Math.round(value * 100) / 100;

/**
 * GPP heartbeat → Zenith PulseNode (the bridge's Zenith mirror).
 *
 * - `id` is the GPP server id (the key's `{id}`), `service` the app: the node lands at
 *   `gravito:quasar:node:{app}:{id}`, next to the agents' `{hostname}-{pid}` ids.
 * - `cpu.system` is rounded to an integer, as the Node agent does.
 * - `cpu.process`: GPP gives a share of the whole machine, Quasar a share of one core capped at 100, so it is
 *   multiplied by the core count (1 when the heartbeat has no `cpu_count`), capped, and kept to two decimals.
 * - `memory.system.used` is `total - free`; `heapTotal` falls back to `heapUsed` when the SDK did not send it.
 *   A heartbeat without a heap (Go) gives 0 and 0, which Zenith's Go agent writes for "not applicable".
 * - `reported_status` becomes `runtime.status` and `runtime.errors`, as the Go agent writes them.
 * - Lost: load average, disks, event loop, worker processes, recorder stats and `interval_ms`. The app's
 *   environment and version go to `meta.gravito_pulse`, which also marks the node as a mirror.
 */
export function heartbeatToPulseNode(heartbeat: PulseHeartbeat, server: { app: string; id: string }): PulseNode {
  const { system, process, meta, reported_status: reported } = heartbeat;
  const heapUsed = process.memory_heap ?? 0;
  const cores = system.cpu_count ?? HEARTBEAT_TO_NODE_DEFAULTS.cores;
  const mirror: MirrorMeta = {
    mirror: true,
    app: server.app,
    server: server.id,
    environment: meta.environment,
    app_version: meta.version,
  };
  return {
    id: server.id,
    service: server.app,
    language: LANGUAGES.has(meta.runtime) ? (meta.runtime as PulseNodeLanguage) : 'other',
    version: process.runtime_version ?? HEARTBEAT_TO_NODE_DEFAULTS.version,
    pid: process.pid,
    hostname: system.hostname,
    platform: system.platform,
    cpu: {
      system: Math.round(system.cpu_usage),
      process: Math.min(100, twoDecimals(process.cpu_usage * cores)),
      cores,
    },
    memory: {
      system: { total: system.memory_total, free: system.memory_free, used: Math.max(0, system.memory_total - system.memory_free) },
      process: { rss: process.memory_rss, heapTotal: process.memory_heap_total ?? heapUsed, heapUsed },
    },
    runtime: {
      uptime: process.uptime,
      framework: meta.sdk ?? HEARTBEAT_TO_NODE_DEFAULTS.framework,
      ...(reported ? { status: reported.status, ...(reported.errors ? { errors: [...reported.errors] } : {}) } : {}),
    },
    meta: { [MIRROR_META_KEY]: mirror },
    timestamp: heartbeat.timestamp,
  };
}
