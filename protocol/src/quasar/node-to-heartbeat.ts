import { TEXT_LIMITS } from '../constants.js';
import type { PulseHeartbeat, PulseRuntime } from '../schema/heartbeat.js';
import { QUASAR_NODE_INTERVAL_MS } from './keys.js';
import { QUASAR_SDK_PREFIX } from './mirror-mark.js';
import type { PulseNode, PulseNodeLanguage } from './pulse-node.js';

/** What a heartbeat gets where a PulseNode says nothing (documented in the protocol README). */
export const NODE_TO_HEARTBEAT_DEFAULTS = {
  text: 'unknown',
  environment: 'unknown',
  version: 'unknown',
  loadAvg: [0, 0, 0] as [number, number, number],
  intervalMs: QUASAR_NODE_INTERVAL_MS,
} as const;

/** Zenith's languages and GPP's runtimes are the same set: the typed map fails to compile if either grows alone. */
const RUNTIME_OF: Record<PulseNodeLanguage, PulseRuntime> = {
  node: 'node',
  bun: 'bun',
  deno: 'deno',
  php: 'php',
  go: 'go',
  python: 'python',
  other: 'other',
};

/** A GPP text field: 1 to `max` characters (a longer one is cut, an empty one becomes `unknown`). */
const text = (value: string, max: number) => (value.length === 0 ? NODE_TO_HEARTBEAT_DEFAULTS.text : value.slice(0, max));
const bytes = (value: number) => Math.round(value);
const percent = (value: number) => Math.min(100, Math.max(0, value));

/**
 * Zenith PulseNode → GPP heartbeat (the bridge's Quasar reader), so that agents' processes join the snapshot,
 * `system_pulse` and /metrics.
 *
 * - `process.cpu_usage`: Quasar gives a share of one core, GPP a share of the machine, so it is divided by
 *   `cpu.cores` (kept as is when cores is 0 or 1).
 * - Memory is rounded to whole bytes; `memory.system.used` is dropped (GPP keeps `free`).
 * - `meta.sdk` becomes `gravito-quasar/{runtime.framework}`: the mark of a Quasar source (`heartbeatSource`).
 * - `meta.interval_ms` is Quasar's 10 s, so the bridge calls the process lost after 30 s, when Zenith turns it yellow.
 * - Lost: queues (the bridge exports them apart), `meta`, `memory.system.used`. Unknown: load average
 *   (`[0, 0, 0]`), environment and app version.
 */
export function pulseNodeToHeartbeat(node: PulseNode): PulseHeartbeat {
  const cores = node.cpu.cores;
  return {
    timestamp: node.timestamp,
    system: {
      hostname: text(node.hostname, TEXT_LIMITS.hostname),
      platform: text(node.platform, TEXT_LIMITS.platform),
      cpu_usage: percent(node.cpu.system),
      memory_total: bytes(node.memory.system.total),
      memory_free: bytes(node.memory.system.free),
      load_avg: [...NODE_TO_HEARTBEAT_DEFAULTS.loadAvg],
      ...(cores >= 1 ? { cpu_count: cores } : {}),
    },
    process: {
      pid: node.pid,
      uptime: node.runtime.uptime,
      cpu_usage: percent(cores > 1 ? node.cpu.process / cores : node.cpu.process),
      memory_rss: bytes(node.memory.process.rss),
      memory_heap: bytes(node.memory.process.heapUsed),
      memory_heap_total: bytes(node.memory.process.heapTotal),
      ...(node.version.length > 0 ? { runtime_version: node.version.slice(0, TEXT_LIMITS.runtimeVersion) } : {}),
    },
    meta: {
      app_name: text(node.service, TEXT_LIMITS.appName),
      environment: NODE_TO_HEARTBEAT_DEFAULTS.environment,
      runtime: RUNTIME_OF[node.language],
      version: NODE_TO_HEARTBEAT_DEFAULTS.version,
      interval_ms: NODE_TO_HEARTBEAT_DEFAULTS.intervalMs,
      sdk: `${QUASAR_SDK_PREFIX}${text(node.runtime.framework, TEXT_LIMITS.sdk - QUASAR_SDK_PREFIX.length)}`,
    },
  };
}
