import type { DiskUsage, PulseHeartbeat } from '../schema/heartbeat.js';
import type { OtlpFigures } from './figures.js';
import { clampInterval, OTLP_DEFAULT_EXPORT_INTERVAL_MS } from './liveness.js';
import type { OtlpResourceMeta } from './resource.js';

/** What a receiver keeps of one server between its exports: for the interval and for rates from cumulative counters. */
export interface OtlpServerMemory {
  collectedMs: number;
  intervalMs: number;
  /** The last export came sooner than half the interval (off-cycle): a second one in a row shrinks the interval. */
  early?: true;
  systemCpuSeconds?: { busy: number; total: number };
  processCpuSeconds?: number;
}

export interface OtlpHeartbeatResult {
  /** Absent until every figure a heartbeat requires is known (see `missing`). */
  heartbeat?: PulseHeartbeat;
  /** The required figures this export did not give, by their OTLP names. */
  missing: string[];
  /** What to keep for the server's next export. */
  memory?: OtlpServerMemory;
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;
const percent = (ratio: number) => round(Math.min(100, Math.max(0, ratio * 100)), 2);
const bytes = (v: number | undefined) => (v === undefined || v < 0 ? undefined : Math.round(v));

/** Memory states that are available to new work (GPP's `memory_free`); every state adds up to the total. */
const AVAILABLE_STATES = ['free', 'cached', 'buffered', 'buffers', 'slab_reclaimable'];
const STATES_OF_TOTAL = ['used', ...AVAILABLE_STATES];

function memory(f: OtlpFigures): { total?: number; free?: number } {
  const sum = (states: readonly string[]) => {
    let total: number | undefined;
    for (const state of states) {
      const v = f.memoryStates.get(state);
      if (v !== undefined) total = (total ?? 0) + v;
    }
    return total;
  };
  const free = f.memoryStates.has('free') ? sum(AVAILABLE_STATES) : undefined;
  return { total: bytes(f.memoryLimit ?? (f.memoryStates.has('used') ? sum(STATES_OF_TOTAL) : undefined)), free: bytes(free) };
}

function disks(f: OtlpFigures): DiskUsage[] | undefined {
  const out: DiskUsage[] = [];
  for (const [mount, states] of f.disks) {
    const free = states.get('free');
    if (free === undefined) continue;
    let total = 0;
    for (const v of states.values()) total += v;
    out.push({ mount: mount.slice(0, 255), total: Math.round(total), free: Math.round(free) });
  }
  return out.length > 0 ? out : undefined;
}

/** Busy share from the ratios sent, else from the growth of cumulative CPU seconds since the server's last export. */
function systemCpu(f: OtlpFigures, previous: OtlpServerMemory | undefined): number | undefined {
  if (f.systemCpuRatio && f.systemCpuRatio.total > 0) return percent(f.systemCpuRatio.busy / f.systemCpuRatio.total);
  const now = f.systemCpuSeconds;
  const before = previous?.systemCpuSeconds;
  if (now === undefined || before === undefined || now.total <= before.total) return undefined;
  return percent((now.busy - before.busy) / (now.total - before.total));
}

function processCpu(f: OtlpFigures, previous: OtlpServerMemory | undefined, cpuCount: number | undefined): number | undefined {
  if (f.processCpuRatio !== undefined) return percent(f.processCpuRatio);
  const now = f.processCpuSeconds;
  const before = previous?.processCpuSeconds;
  if (now === undefined || previous === undefined || before === undefined || cpuCount === undefined || f.collectedMs === undefined)
    return undefined;
  const wallSeconds = (f.collectedMs - previous.collectedMs) / 1000;
  if (wallSeconds <= 0 || now < before) return undefined;
  return percent((now - before) / (wallSeconds * cpuCount));
}

/**
 * The server's export interval (see liveness.ts). An export sooner than half the interval is off-cycle (a flush at
 * shutdown, a forced flush) and leaves it as it was, unless the one before was early too: then the interval did shrink.
 */
function interval(f: OtlpFigures, previous: OtlpServerMemory | undefined): { intervalMs: number; early?: true } {
  if (previous !== undefined && f.collectedMs !== undefined && f.collectedMs > previous.collectedMs) {
    const observed = f.collectedMs - previous.collectedMs;
    if (observed >= previous.intervalMs / 2 || previous.early) return { intervalMs: clampInterval(observed) };
    return { intervalMs: previous.intervalMs, early: true };
  }
  if (previous !== undefined) return { intervalMs: previous.intervalMs };
  const age = f.collectedMs !== undefined && f.seriesStartMs !== undefined ? f.collectedMs - f.seriesStartMs : undefined;
  return {
    intervalMs: clampInterval(
      age !== undefined && age > 0 ? Math.min(age, OTLP_DEFAULT_EXPORT_INTERVAL_MS) : OTLP_DEFAULT_EXPORT_INTERVAL_MS,
    ),
  };
}

export interface OtlpHeartbeatOptions {
  /** When the receiver took the export, epoch ms: the heartbeat's `timestamp` (readers judge liveness by their clock, not the client's). */
  now: number;
  /** The server id (the heartbeat key's `{id}`). */
  id: string;
}

/**
 * One server's heartbeat from its figures of one export. GPP requires host CPU and memory, the process's id, uptime,
 * CPU and resident memory: until an export gives all of them (a rate from cumulative counters needs a second export)
 * no heartbeat is written, and `missing` says what is lacking. Optional figures not sent are absent, never 0; text not
 * sent reads `unknown`. `uptime` is `process.uptime`, else the age of the SDK's cumulative series.
 */
export function otlpHeartbeat(
  meta: OtlpResourceMeta,
  f: OtlpFigures,
  previous: OtlpServerMemory | undefined,
  options: OtlpHeartbeatOptions,
): OtlpHeartbeatResult {
  const cpuCount = f.cpuCount !== undefined && f.cpuCount >= 1 ? Math.round(f.cpuCount) : f.cpus.size > 0 ? f.cpus.size : undefined;
  const mem = memory(f);
  const uptime =
    f.uptimeSeconds ??
    (f.collectedMs !== undefined && f.seriesStartMs !== undefined ? (f.collectedMs - f.seriesStartMs) / 1000 : undefined);
  const figures = {
    'system.cpu.utilization': systemCpu(f, previous),
    'system.memory.usage (total)': mem.total,
    'system.memory.usage (free)': mem.free,
    'process.pid': meta.pid,
    'process.uptime': uptime === undefined || uptime < 0 ? undefined : round(uptime, 3),
    'process.cpu.utilization': processCpu(f, previous, cpuCount),
    'process.memory.usage': bytes(f.rss),
  };
  const missing = Object.entries(figures)
    .filter(([, v]) => v === undefined)
    .map(([name]) => name);
  const { intervalMs, early } = interval(f, previous);
  const memoryOut: OtlpServerMemory | undefined =
    f.collectedMs === undefined
      ? previous
      : {
          collectedMs: f.collectedMs,
          intervalMs,
          ...(early ? { early } : {}),
          ...(f.systemCpuSeconds ? { systemCpuSeconds: f.systemCpuSeconds } : {}),
          ...(f.processCpuSeconds !== undefined ? { processCpuSeconds: f.processCpuSeconds } : {}),
        };
  if (missing.length > 0) return { missing, memory: memoryOut };

  const heartbeat: PulseHeartbeat = {
    timestamp: Math.round(options.now),
    system: {
      hostname: meta.hostname,
      platform: meta.platform,
      cpu_usage: figures['system.cpu.utilization'] as number,
      memory_total: figures['system.memory.usage (total)'] as number,
      memory_free: Math.min(figures['system.memory.usage (free)'] as number, figures['system.memory.usage (total)'] as number),
    },
    process: {
      pid: figures['process.pid'] as number,
      uptime: figures['process.uptime'] as number,
      cpu_usage: figures['process.cpu.utilization'] as number,
      memory_rss: figures['process.memory.usage'] as number,
    },
    meta: {
      app_name: meta.appName,
      environment: meta.environment,
      runtime: meta.runtime,
      version: meta.version,
      instance_id: options.id,
      interval_ms: intervalMs,
      sdk: meta.sdk,
    },
  };
  const { system, process } = heartbeat;
  if (f.load[0] !== undefined && f.load[1] !== undefined && f.load[2] !== undefined) {
    system.load_avg = [Math.max(0, f.load[0]), Math.max(0, f.load[1]), Math.max(0, f.load[2])];
  }
  if (cpuCount !== undefined && cpuCount <= 65_536) system.cpu_count = cpuCount;
  const diskList = disks(f);
  if (diskList !== undefined) system.disks = diskList;
  const heapUsed = bytes(f.heapUsed);
  if (heapUsed !== undefined) process.memory_heap = heapUsed;
  const heapTotal = bytes(f.heapTotal);
  if (heapTotal !== undefined) process.memory_heap_total = heapTotal;
  if (
    f.loopDelayP50Seconds !== undefined &&
    f.loopDelayP99Seconds !== undefined &&
    f.loopDelayP50Seconds >= 0 &&
    f.loopDelayP99Seconds >= 0
  ) {
    process.event_loop = { delay_p50_ms: round(f.loopDelayP50Seconds * 1000, 3), delay_p99_ms: round(f.loopDelayP99Seconds * 1000, 3) };
    if (f.loopUtilization !== undefined && f.loopUtilization >= 0 && f.loopUtilization <= 1)
      process.event_loop.utilization = round(f.loopUtilization, 4);
  }
  if (meta.runtimeVersion !== undefined) process.runtime_version = meta.runtimeVersion;
  return { heartbeat, missing, memory: memoryOut };
}
