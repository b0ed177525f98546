import { hostname } from 'node:os';
import {
  type DiskUsage,
  type EventLoopStats,
  MAX_WORKER_PROCESSES,
  type PulseHeartbeat,
  TEXT_LIMITS,
  type WorkerProcess,
} from '@gravito/pulse-protocol';
import type { Attributes } from '@opentelemetry/api';
import type { MetricData, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { Identity } from '../identity.js';
import { truncate } from '../identity.js';
import { settledAttributes } from '../resource-attributes.js';
import { RUNTIME } from '../runtime/detect.js';
import { PULSE_SCOPE, SDK_ID } from '../version.js';
import { A, M, R } from './names.js';

export interface HeartbeatContext {
  identity: Identity;
  intervalMs: number;
  /** When the metrics were collected, epoch ms. */
  now: number;
}

type Points = ReadonlyArray<{ attributes: Attributes; value: unknown }>;

/** Reads Pulse's own scope only: metrics of other instrumentations that reach the exporter are ignored. */
function pulseMetrics(resourceMetrics: ResourceMetrics): Map<string, Points> | undefined {
  let found: Map<string, Points> | undefined;
  for (const scope of resourceMetrics.scopeMetrics) {
    if (scope.scope.name !== PULSE_SCOPE) continue;
    found ??= new Map();
    for (const metric of scope.metrics as MetricData[]) {
      found.set(metric.descriptor.name, metric.dataPoints as Points);
    }
  }
  return found;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function single(metrics: Map<string, Points>, name: string): number | undefined {
  return num(metrics.get(name)?.[0]?.value);
}

function where(metrics: Map<string, Points>, name: string, attrs: Record<string, string>): number | undefined {
  const points = metrics.get(name);
  if (points === undefined) return undefined;
  for (const p of points) {
    if (Object.entries(attrs).every(([k, v]) => p.attributes[k] === v)) return num(p.value);
  }
  return undefined;
}

const bytes = (v: number | undefined) => Math.max(0, Math.round(v ?? 0));
const percent = (ratio: number | undefined) => Math.min(100, Math.max(0, Math.round((ratio ?? 0) * 10_000) / 100));
const round3 = (v: number) => Math.round(v * 1000) / 1000;

function disks(metrics: Map<string, Points>): DiskUsage[] {
  const result: DiskUsage[] = [];
  for (const p of metrics.get(M.systemFilesystemLimit) ?? []) {
    const mount = p.attributes[A.filesystemMountpoint];
    if (typeof mount !== 'string' || mount === '') continue;
    const free = where(metrics, M.systemFilesystemUsage, { [A.filesystemMountpoint]: mount, [A.filesystemState]: 'free' });
    result.push({ mount: truncate(mount, TEXT_LIMITS.mount), total: bytes(num(p.value)), free: bytes(free) });
    if (result.length === 64) break;
  }
  return result;
}

/** Event-loop figures as measured: absent when the delay was not measured, utilization absent on its own (Bun). */
function eventLoop(metrics: Map<string, Points>): EventLoopStats | undefined {
  const p50 = single(metrics, M.eventLoopDelayP50);
  const p99 = single(metrics, M.eventLoopDelayP99);
  if (p50 === undefined || p99 === undefined) return undefined;
  const stats: EventLoopStats = { delay_p50_ms: round3(Math.max(0, p50 * 1000)), delay_p99_ms: round3(Math.max(0, p99 * 1000)) };
  const utilization = single(metrics, M.eventLoopUtilization);
  if (utilization !== undefined) stats.utilization = Math.min(1, Math.max(0, round3(utilization)));
  return stats;
}

/** Worker processes: one point per pid of the memory gauge, joined with the CPU gauge by pid. */
function workers(metrics: Map<string, Points>): WorkerProcess[] {
  const cpuByPid = new Map<unknown, number | undefined>();
  for (const p of metrics.get(M.workerCpuUtilization) ?? []) cpuByPid.set(p.attributes[A.processPid], num(p.value));
  const result: WorkerProcess[] = [];
  for (const p of metrics.get(M.workerMemoryUsage) ?? []) {
    const { [A.processPid]: pid, [A.processCommand]: name, [A.workerKind]: kind } = p.attributes;
    if (typeof pid !== 'number' || typeof name !== 'string' || name === '' || (kind !== 'cluster' && kind !== 'child')) continue;
    result.push({
      pid,
      name: truncate(name, TEXT_LIMITS.processName),
      kind,
      cpu_usage: percent(cpuByPid.get(pid)),
      memory_rss: bytes(num(p.value)),
    });
    if (result.length === MAX_WORKER_PROCESSES) break;
  }
  return result;
}

function resourceText(rm: ResourceMetrics, name: string): string | undefined {
  const v = settledAttributes(rm.resource)[name];
  return v === undefined || v === null || v === '' ? undefined : String(v);
}

/**
 * The serializer half of the exporter: one `ResourceMetrics` → one GPP heartbeat. Host facts come
 * from the Resource (`host.name`, `os.type`, `process.pid`); this process fills what the Resource lacks.
 * The runtime and its version come from this process only: under Bun, the Resource's process detector
 * reports the Node version that Bun imitates. Returns `undefined` when the export holds no Pulse metrics at all.
 */
export function toHeartbeat(rm: ResourceMetrics, ctx: HeartbeatContext): PulseHeartbeat | undefined {
  const m = pulseMetrics(rm);
  if (m === undefined || !m.has(M.systemCpuUtilization)) return undefined;
  const pid = Number(resourceText(rm, R.processPid) ?? process.pid);
  const memoryTotal = bytes(single(m, M.systemMemoryLimit));
  const heartbeat: PulseHeartbeat = {
    timestamp: Math.round(ctx.now),
    system: {
      hostname: truncate(resourceText(rm, R.hostName) ?? hostname() ?? 'unknown', TEXT_LIMITS.hostname),
      platform: truncate(resourceText(rm, R.osType) ?? process.platform, TEXT_LIMITS.platform),
      cpu_usage: percent(single(m, M.systemCpuUtilization)),
      memory_total: memoryTotal,
      memory_free: Math.min(memoryTotal, bytes(where(m, M.systemMemoryUsage, { [A.memoryState]: 'free' }))),
      load_avg: [
        round3(Math.max(0, single(m, M.systemLoad1m) ?? 0)),
        round3(Math.max(0, single(m, M.systemLoad5m) ?? 0)),
        round3(Math.max(0, single(m, M.systemLoad15m) ?? 0)),
      ],
      cpu_count: Math.max(1, Math.round(single(m, M.systemCpuLogicalCount) ?? 1)),
      disks: disks(m),
    },
    process: {
      pid: Number.isInteger(pid) && pid >= 0 ? pid : process.pid,
      uptime: round3(Math.max(0, single(m, M.processUptime) ?? 0)),
      cpu_usage: percent(single(m, M.processCpuUtilization)),
      memory_rss: bytes(single(m, M.processMemoryUsage)),
      memory_heap: bytes(single(m, M.v8HeapUsed)),
      memory_heap_total: bytes(single(m, M.v8HeapLimit)),
      event_loop: eventLoop(m),
      runtime_version: truncate(RUNTIME.version, TEXT_LIMITS.runtimeVersion),
    },
    meta: {
      app_name: ctx.identity.appName,
      environment: ctx.identity.environment,
      runtime: RUNTIME.name,
      version: ctx.identity.version,
      instance_id: ctx.identity.serverId,
      interval_ms: ctx.intervalMs,
      sdk: SDK_ID,
    },
    recorder: {
      dropped_entries: Math.max(0, Math.round(single(m, M.recorderDropped) ?? 0)),
      failed_writes: Math.max(0, Math.round(single(m, M.recorderFailedWrites) ?? 0)),
      invalid_payloads: Math.max(0, Math.round(single(m, M.recorderInvalidPayloads) ?? 0)),
    },
  };
  const processes = workers(m);
  if (processes.length > 0) heartbeat.processes = processes;
  return heartbeat;
}
