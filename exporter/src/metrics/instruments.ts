import type { Meter, Observable } from '@opentelemetry/api';
import type { HostCollector } from '../collect/host-collector.js';
import { DiagOnce, errorMessage } from '../diag-once.js';
import type { RecorderStats } from '../stats.js';
import { A, M } from './names.js';

/**
 * Registers Pulse's observable instruments on a Meter. One batch callback runs every collector once
 * per collection, so CPU deltas cover exactly one export interval.
 */
export function registerInstruments(meter: Meter, collector: HostCollector, stats: RecorderStats): () => void {
  const diag = new DiagOnce();
  const g = (name: string, unit: string, description: string) => meter.createObservableGauge(name, { unit, description });
  const u = (name: string, unit: string, description: string) => meter.createObservableUpDownCounter(name, { unit, description });
  const c = (name: string, unit: string, description: string) => meter.createObservableCounter(name, { unit, description });

  const i = {
    cpu: g(M.systemCpuUtilization, '1', 'host CPU busy ratio since the previous collection'),
    cpuCount: u(M.systemCpuLogicalCount, '{cpu}', 'logical CPUs'),
    memLimit: u(M.systemMemoryLimit, 'By', 'host memory'),
    memUsage: u(M.systemMemoryUsage, 'By', 'host memory by state (used, free = available)'),
    load1: g(M.systemLoad1m, '{thread}', 'load average over 1 minute'),
    load5: g(M.systemLoad5m, '{thread}', 'load average over 5 minutes'),
    load15: g(M.systemLoad15m, '{thread}', 'load average over 15 minutes'),
    fsLimit: u(M.systemFilesystemLimit, 'By', 'filesystem size'),
    fsUsage: u(M.systemFilesystemUsage, 'By', 'filesystem usage by state (used, free = available to users)'),
    procCpu: g(M.processCpuUtilization, '1', 'process CPU time over elapsed time times cores, since the previous collection'),
    procMem: u(M.processMemoryUsage, 'By', 'resident set size'),
    uptime: g(M.processUptime, 's', 'seconds since the process started'),
    heapUsed: u(M.v8HeapUsed, 'By', 'V8 heap in use'),
    heapLimit: u(M.v8HeapLimit, 'By', 'V8 heap reserved (heapTotal)'),
    elP50: g(M.eventLoopDelayP50, 's', 'event-loop delay median since the previous collection'),
    elP99: g(M.eventLoopDelayP99, 's', 'event-loop delay p99 since the previous collection'),
    elu: g(M.eventLoopUtilization, '1', 'event-loop utilization since the previous collection'),
    workerCpu: g(M.workerCpuUtilization, '1', 'worker process CPU time over elapsed time times cores, since the previous collection'),
    workerMem: g(M.workerMemoryUsage, 'By', 'worker process resident set size'),
    dropped: c(M.recorderDropped, '{entry}', 'slow or error entries Pulse dropped (queue full, Redis down or failing)'),
    failed: c(M.recorderFailedWrites, '{write}', 'Redis writes by Pulse that failed or timed out'),
    invalid: c(M.recorderInvalidPayloads, '{payload}', 'payloads Pulse built but did not write: they failed the schema'),
  };
  const observables: Observable[] = Object.values(i);

  const callback = async (r: import('@opentelemetry/api').BatchObservableResult) => {
    let s: Awaited<ReturnType<HostCollector['collect']>>;
    try {
      s = await collector.collect();
    } catch (err) {
      diag.warn('collect', `host collection failed: ${errorMessage(err)}`);
      return;
    }
    r.observe(i.cpu, s.cpuUtilization);
    r.observe(i.cpuCount, s.cpuCount);
    r.observe(i.memLimit, s.memoryTotal);
    r.observe(i.memUsage, s.memoryTotal - s.memoryFree, { [A.memoryState]: 'used' });
    r.observe(i.memUsage, s.memoryFree, { [A.memoryState]: 'free' });
    r.observe(i.load1, s.load[0]);
    r.observe(i.load5, s.load[1]);
    r.observe(i.load15, s.load[2]);
    for (const d of s.disks) {
      r.observe(i.fsLimit, d.total, { [A.filesystemMountpoint]: d.mount });
      r.observe(i.fsUsage, d.total - d.free, { [A.filesystemMountpoint]: d.mount, [A.filesystemState]: 'used' });
      r.observe(i.fsUsage, d.free, { [A.filesystemMountpoint]: d.mount, [A.filesystemState]: 'free' });
    }
    r.observe(i.procCpu, s.process.cpuUtilization);
    r.observe(i.procMem, s.process.rss);
    r.observe(i.uptime, s.process.uptimeSeconds);
    r.observe(i.heapUsed, s.process.heapUsed);
    r.observe(i.heapLimit, s.process.heapTotal);
    // A figure the runtime could not measure is not observed, so the heartbeat leaves it out.
    if (s.eventLoop !== undefined) {
      r.observe(i.elP50, s.eventLoop.delayP50Ms / 1000);
      r.observe(i.elP99, s.eventLoop.delayP99Ms / 1000);
      if (s.eventLoop.utilization !== undefined) r.observe(i.elu, s.eventLoop.utilization);
    }
    for (const w of s.workers) {
      const attributes = { [A.processPid]: w.pid, [A.processCommand]: w.name, [A.workerKind]: w.kind };
      r.observe(i.workerCpu, w.cpu_usage / 100, attributes);
      r.observe(i.workerMem, w.memory_rss, attributes);
    }
    r.observe(i.dropped, stats.droppedEntries);
    r.observe(i.failed, stats.failedWrites);
    r.observe(i.invalid, stats.invalidHeartbeats + stats.invalidEntries);
  };
  meter.addBatchObservableCallback(callback, observables);
  return () => meter.removeBatchObservableCallback(callback, observables);
}
