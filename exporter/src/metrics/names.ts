/**
 * Metric and attribute names. Copied from `@opentelemetry/semantic-conventions/incubating`, as its
 * README advises (the incubating entry point is not for runtime import). Load average has no semantic
 * convention; we use the OpenTelemetry Collector hostmetrics receiver's names.
 */
export const M = {
  systemCpuUtilization: 'system.cpu.utilization',
  systemCpuLogicalCount: 'system.cpu.logical.count',
  systemMemoryLimit: 'system.memory.limit',
  systemMemoryUsage: 'system.memory.usage',
  systemLoad1m: 'system.cpu.load_average.1m',
  systemLoad5m: 'system.cpu.load_average.5m',
  systemLoad15m: 'system.cpu.load_average.15m',
  systemFilesystemLimit: 'system.filesystem.limit',
  systemFilesystemUsage: 'system.filesystem.usage',
  processCpuUtilization: 'process.cpu.utilization',
  processMemoryUsage: 'process.memory.usage',
  processUptime: 'process.uptime',
  v8HeapUsed: 'v8js.memory.heap.used',
  v8HeapLimit: 'v8js.memory.heap.limit',
  eventLoopDelayP50: 'nodejs.eventloop.delay.p50',
  eventLoopDelayP99: 'nodejs.eventloop.delay.p99',
  eventLoopUtilization: 'nodejs.eventloop.utilization',
  workerCpuUtilization: 'pulse.worker.cpu.utilization',
  workerMemoryUsage: 'pulse.worker.memory.usage',
  recorderDropped: 'pulse.recorder.dropped_entries',
  recorderFailedWrites: 'pulse.recorder.failed_writes',
  recorderInvalidPayloads: 'pulse.recorder.invalid_payloads',
} as const;

export const A = {
  memoryState: 'system.memory.state',
  filesystemMountpoint: 'system.filesystem.mountpoint',
  filesystemState: 'system.filesystem.state',
  processPid: 'process.pid',
  processCommand: 'process.command',
  workerKind: 'pulse.worker.kind',
} as const;

/** Resource attributes the heartbeat reads (semantic conventions). */
export const R = {
  hostName: 'host.name',
  osType: 'os.type',
  processPid: 'process.pid',
} as const;
