import type { OtlpMetric, OtlpMetricsRequest, OtlpNumberDataPoint, OtlpResource } from './types.js';
import { int64, integerAttribute, list, nanosToMillis, textAttribute } from './values.js';

/** One resource's figures in one export request, read from OTLP metrics; a figure not sent stays `undefined`. */
export interface OtlpFigures {
  /** Latest point time, epoch ms (the client's clock). */
  collectedMs?: number;
  /** Earliest start of a cumulative series: about when the SDK started. */
  seriesStartMs?: number;
  /** `system.cpu.utilization`: summed ratios, busy (not idle, not wait) and all states. */
  systemCpuRatio?: { busy: number; total: number };
  /** `system.cpu.time`: cumulative seconds, busy and all states. */
  systemCpuSeconds?: { busy: number; total: number };
  /** Logical CPU numbers seen on CPU points: their count is the CPU count when none is sent. */
  cpus: Set<number>;
  cpuCount?: number;
  memoryStates: Map<string, number>;
  memoryLimit?: number;
  disks: Map<string, Map<string, number>>;
  load: Array<number | undefined>;
  /** Share of the whole machine, 0–1. */
  processCpuRatio?: number;
  processCpuSeconds?: number;
  rss?: number;
  heapUsed?: number;
  heapTotal?: number;
  loopDelayP50Seconds?: number;
  loopDelayP99Seconds?: number;
  loopUtilization?: number;
  uptimeSeconds?: number;
}

export function emptyFigures(): OtlpFigures {
  return { cpus: new Set(), memoryStates: new Map(), disks: new Map(), load: [] };
}

/** Most filesystems kept per server (GPP's `system.disks` cap). */
const MAX_DISKS = 64;
/** CPU states that are not busy. */
const NOT_BUSY = new Set(['idle', 'wait']);

const add = (total: number | undefined, value: number) => (total ?? 0) + value;

/** The point's value, or `undefined` when it has none a number can hold. */
function pointValue(point: OtlpNumberDataPoint): number | undefined {
  if (typeof point !== 'object' || point === null) return undefined;
  if (Object.hasOwn(point, 'asDouble') && typeof point.asDouble === 'number')
    return Number.isFinite(point.asDouble) ? point.asDouble : undefined;
  if (Object.hasOwn(point, 'asInt')) return int64(point.asInt);
  return undefined;
}

type Reader = (figures: OtlpFigures, value: number, point: OtlpNumberDataPoint) => void;

const cpuState = (p: OtlpNumberDataPoint) => textAttribute(p.attributes, 'cpu.mode') ?? textAttribute(p.attributes, 'system.cpu.state');
const cpuNumber = (p: OtlpNumberDataPoint) =>
  integerAttribute(p.attributes, 'cpu.logical_number') ?? integerAttribute(p.attributes, 'system.cpu.logical_number');
const memoryType = (p: OtlpNumberDataPoint, key: string) => textAttribute(p.attributes, key);

function cpuShare(target: 'systemCpuRatio' | 'systemCpuSeconds'): Reader {
  return (f, v, p) => {
    const state = cpuState(p);
    f[target] ??= { busy: 0, total: 0 };
    const share = f[target];
    share.total += v;
    if (state === undefined || !NOT_BUSY.has(state)) share.busy += v;
    const cpu = cpuNumber(p);
    if (cpu !== undefined) f.cpus.add(cpu);
  };
}

function disk(f: OtlpFigures, v: number, p: OtlpNumberDataPoint): void {
  const mount = textAttribute(p.attributes, 'system.filesystem.mountpoint');
  const state = textAttribute(p.attributes, 'system.filesystem.state');
  if (mount === undefined || state === undefined) return;
  let states = f.disks.get(mount);
  if (states === undefined) {
    if (f.disks.size >= MAX_DISKS) return;
    states = new Map();
    f.disks.set(mount, states);
  }
  // Several devices on one mount point: the first one's figures.
  if (!states.has(state)) states.set(state, v);
}

const heap =
  (key: string, field: 'heapUsed' | 'heapTotal'): Reader =>
  (f, v, p) => {
    if (memoryType(p, key) === 'heap') f[field] = add(f[field], v);
  };

/**
 * The metrics Pulse reads, by name: the current semantic conventions and the older ones still sent. Figures that GPP's
 * heartbeat has no field for (GC, network, Go's and the JVM's threads) are not read.
 */
const READERS: ReadonlyMap<string, Reader> = new Map<string, Reader>([
  ['system.cpu.utilization', cpuShare('systemCpuRatio')],
  ['system.cpu.time', cpuShare('systemCpuSeconds')],
  ['system.cpu.logical.count', (f, v) => (f.cpuCount = v)],
  ['jvm.cpu.count', (f, v) => (f.cpuCount ??= v)],
  [
    'system.memory.usage',
    (f, v, p) => {
      const state = textAttribute(p.attributes, 'system.memory.state');
      if (state !== undefined) f.memoryStates.set(state, add(f.memoryStates.get(state), v));
    },
  ],
  ['system.memory.limit', (f, v) => (f.memoryLimit = v)],
  ['system.filesystem.usage', disk],
  ['system.cpu.load_average.1m', (f, v) => (f.load[0] = v)],
  ['system.cpu.load_average.5m', (f, v) => (f.load[1] = v)],
  ['system.cpu.load_average.15m', (f, v) => (f.load[2] = v)],
  ['process.cpu.utilization', (f, v) => (f.processCpuRatio = add(f.processCpuRatio, v))],
  ['jvm.cpu.recent_utilization', (f, v) => (f.processCpuRatio ??= v)],
  ['process.runtime.jvm.cpu.utilization', (f, v) => (f.processCpuRatio ??= v)],
  ['process.cpu.time', (f, v) => (f.processCpuSeconds = add(f.processCpuSeconds, v))],
  ['process.memory.usage', (f, v) => (f.rss = v)],
  [
    'process.runtime.cpython.memory',
    (f, v, p) => {
      if (memoryType(p, 'type') === 'rss') f.rss ??= v;
    },
  ],
  ['process.uptime', (f, v) => (f.uptimeSeconds = v)],
  ['v8js.memory.heap.used', (f, v) => (f.heapUsed = add(f.heapUsed, v))],
  ['jvm.memory.used', heap('jvm.memory.type', 'heapUsed')],
  ['jvm.memory.committed', heap('jvm.memory.type', 'heapTotal')],
  ['process.runtime.jvm.memory.usage', heap('type', 'heapUsed')],
  ['process.runtime.jvm.memory.committed', heap('type', 'heapTotal')],
  ['nodejs.eventloop.delay.p50', (f, v) => (f.loopDelayP50Seconds = v)],
  ['nodejs.eventloop.delay.p99', (f, v) => (f.loopDelayP99Seconds = v)],
  ['nodejs.eventloop.utilization', (f, v) => (f.loopUtilization = v)],
]);

/** Reads one metric's number points into `figures`; other kinds of points and unknown names are skipped. */
export function readMetric(figures: OtlpFigures, metric: OtlpMetric): void {
  if (typeof metric !== 'object' || metric === null || typeof metric.name !== 'string') return;
  const read = READERS.get(metric.name);
  const points = list(metric.gauge?.dataPoints ?? metric.sum?.dataPoints);
  const cumulative = metric.sum !== undefined && metric.sum?.aggregationTemporality === 2;
  for (const point of points) {
    const time = nanosToMillis(point?.timeUnixNano);
    if (time !== undefined && (figures.collectedMs === undefined || time > figures.collectedMs)) figures.collectedMs = time;
    if (cumulative) {
      const start = nanosToMillis(point?.startTimeUnixNano);
      if (start !== undefined && (figures.seriesStartMs === undefined || start < figures.seriesStartMs)) figures.seriesStartMs = start;
    }
    if (read === undefined) continue;
    const value = pointValue(point);
    if (value !== undefined) read(figures, value, point);
  }
}

/** Every resource's figures of one request, in request order; `resource` is the one the figures came with. */
export function figuresByResource(
  request: OtlpMetricsRequest,
): Array<{ resource: OtlpResource | undefined; figures: OtlpFigures; points: number }> {
  return list(request?.resourceMetrics).map((rm) => {
    const figures = emptyFigures();
    let points = 0;
    for (const scope of list(rm?.scopeMetrics)) {
      for (const metric of list(scope?.metrics)) {
        points += countPoints(metric);
        readMetric(figures, metric);
      }
    }
    return { resource: rm?.resource, figures, points };
  });
}

/** Data points of a metric, of any kind (for partial success: a refused resource rejects them all). */
export function countPoints(metric: OtlpMetric): number {
  if (typeof metric !== 'object' || metric === null) return 0;
  return (
    list(metric.gauge?.dataPoints).length +
    list(metric.sum?.dataPoints).length +
    list(metric.histogram?.dataPoints).length +
    list(metric.exponentialHistogram?.dataPoints).length +
    list(metric.summary?.dataPoints).length
  );
}
