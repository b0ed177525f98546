import { TEXT_LIMITS } from '../constants.js';
import {
  MAX_REPORTED_ERRORS,
  MAX_WORKER_PROCESSES,
  type PulseHeartbeat,
  type PulseRuntime,
  type ReportedStatus,
  type WorkerProcess,
} from '../schema/heartbeat.js';
import { QUASAR_NODE_INTERVAL_MS } from './keys.js';
import { QUASAR_SDK_PREFIX } from './mirror-mark.js';
import type { LaravelWorker, PulseNode, PulseNodeLanguage } from './pulse-node.js';

/** What a heartbeat gets where a PulseNode says nothing (documented in the protocol README). */
export const NODE_TO_HEARTBEAT_DEFAULTS = {
  text: 'unknown',
  environment: 'unknown',
  version: 'unknown',
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
/** Quasar gives CPU as a share of one core, GPP as a share of the machine (kept as is when cores is 0 or 1). */
const machineShare = (oneCorePercent: number, cores: number) => percent(cores > 1 ? oneCorePercent / cores : oneCorePercent);

/** The agent's `runtime.status` and its errors (empty ones dropped, the first 16 kept, each cut to 128). */
function reportedStatus(runtime: PulseNode['runtime']): ReportedStatus | undefined {
  if (runtime.status === undefined) return undefined;
  const errors = (runtime.errors ?? [])
    .filter((error) => error.length > 0)
    .slice(0, MAX_REPORTED_ERRORS)
    .map((error) => error.slice(0, TEXT_LIMITS.reportedError));
  return errors.length > 0 ? { status: runtime.status, errors } : { status: runtime.status };
}

/**
 * `meta.laravel.workers` as the heartbeat's `processes`, kind `queue`: the first 64, less the agent's own pid and
 * pids listed twice (each process is one series). A worker's `status` has no place in GPP and is left out.
 */
function queueWorkers(node: PulseNode): WorkerProcess[] {
  const workers: readonly LaravelWorker[] = node.meta?.laravel?.workers ?? [];
  const pids = new Set<number>([node.pid]);
  const processes: WorkerProcess[] = [];
  for (const worker of workers) {
    if (processes.length >= MAX_WORKER_PROCESSES) break;
    if (pids.has(worker.pid)) continue;
    pids.add(worker.pid);
    processes.push({
      pid: worker.pid,
      name: text(worker.cmdline, TEXT_LIMITS.processName),
      kind: 'queue',
      cpu_usage: machineShare(worker.cpu, node.cpu.cores),
      memory_rss: bytes(worker.memory),
    });
  }
  return processes;
}

/**
 * Zenith PulseNode → GPP heartbeat (the bridge's Quasar reader), so that agents' processes join the snapshot,
 * `system_pulse` and /metrics.
 *
 * - `process.cpu_usage`: Quasar gives a share of one core, GPP a share of the machine, so it is divided by
 *   `cpu.cores` (kept as is when cores is 0 or 1); so is each queue worker's CPU.
 * - Memory is rounded to whole bytes; `memory.system.used` is dropped (GPP keeps `free`). A heap of 0 in use out
 *   of 0 reserved is no heap (the Go agent's "not applicable"): both heap fields are left out, not sent as 0.
 * - No load average: agents report none, so the heartbeat has none (unknown, not 0).
 * - `runtime.status` and `runtime.errors` become `reported_status`; `meta.laravel.workers` become `processes`
 *   (kind `queue`).
 * - `meta.sdk` becomes `gravito-quasar/{runtime.framework}`: the mark of a Quasar source (`heartbeatSource`).
 * - `meta.interval_ms` is Quasar's 10 s, so the bridge calls the process lost after 30 s, when Zenith turns it yellow.
 * - Lost: queues (the bridge exports them apart), the rest of `meta`, `memory.system.used`, workers' `status`.
 *   Unknown: environment and app version.
 */
export function pulseNodeToHeartbeat(node: PulseNode): PulseHeartbeat {
  const cores = node.cpu.cores;
  const { heapUsed, heapTotal } = node.memory.process;
  const status = reportedStatus(node.runtime);
  const processes = queueWorkers(node);
  return {
    timestamp: node.timestamp,
    system: {
      hostname: text(node.hostname, TEXT_LIMITS.hostname),
      platform: text(node.platform, TEXT_LIMITS.platform),
      cpu_usage: percent(node.cpu.system),
      memory_total: bytes(node.memory.system.total),
      memory_free: bytes(node.memory.system.free),
      ...(cores >= 1 ? { cpu_count: cores } : {}),
    },
    process: {
      pid: node.pid,
      uptime: node.runtime.uptime,
      cpu_usage: machineShare(node.cpu.process, cores),
      memory_rss: bytes(node.memory.process.rss),
      ...(heapUsed === 0 && heapTotal === 0 ? {} : { memory_heap: bytes(heapUsed), memory_heap_total: bytes(heapTotal) }),
      ...(node.version.length > 0 ? { runtime_version: node.version.slice(0, TEXT_LIMITS.runtimeVersion) } : {}),
    },
    ...(processes.length > 0 ? { processes } : {}),
    meta: {
      app_name: text(node.service, TEXT_LIMITS.appName),
      environment: NODE_TO_HEARTBEAT_DEFAULTS.environment,
      runtime: RUNTIME_OF[node.language],
      version: NODE_TO_HEARTBEAT_DEFAULTS.version,
      interval_ms: NODE_TO_HEARTBEAT_DEFAULTS.intervalMs,
      sdk: `${QUASAR_SDK_PREFIX}${text(node.runtime.framework, TEXT_LIMITS.sdk - QUASAR_SDK_PREFIX.length)}`,
    },
    ...(status ? { reported_status: status } : {}),
  };
}
