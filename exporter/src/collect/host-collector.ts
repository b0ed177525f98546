import { hostname } from 'node:os';
import type { DiskUsage, WorkerProcess } from '@gravito/pulse-protocol';
import { SystemCpuCollector } from './cpu.js';
import { DiskCollector } from './disks.js';
import { EventLoopCollector, type EventLoopSample } from './event-loop.js';
import { sampleLoad } from './load.js';
import { sampleMemory } from './memory.js';
import { ProcessCollector, type ProcessSample } from './process.js';
import type { DelaySource } from './timer-drift.js';
import type { WorkerCollector } from './workers.js';

/** One collection of everything a heartbeat describes. */
export interface HostSnapshot {
  hostname: string;
  platform: string;
  cpuUtilization: number;
  cpuCount: number;
  memoryTotal: number;
  memoryFree: number;
  load: [number, number, number];
  disks: DiskUsage[];
  process: ProcessSample;
  /** Absent until the loop has ticked once since the previous collection. */
  eventLoop: EventLoopSample | undefined;
  /** Worker processes (cluster workers, children), for the heartbeat's `processes`. */
  workers: WorkerProcess[];
}

/**
 * Runs every collector once. The synchronous part is a handful of `os`/`process` reads; the
 * disks are read on the thread pool while the loop stays free.
 */
export class HostCollector {
  private readonly cpu = new SystemCpuCollector();
  private readonly proc = new ProcessCollector();
  private readonly eventLoop: EventLoopCollector;
  private readonly disks: DiskCollector;

  /** `loopDelay`: the heartbeat's window on the event-loop delay (a `LoopDelayMonitor` window of its own by default). */
  constructor(
    mounts: readonly string[],
    private readonly workers?: WorkerCollector,
    loopDelay?: DelaySource,
  ) {
    this.disks = new DiskCollector(mounts);
    this.eventLoop = new EventLoopCollector(loopDelay);
  }

  async collect(): Promise<HostSnapshot> {
    // Start the thread-pool work first, then do the synchronous reads while it runs.
    const disks = this.disks.sample();
    const workers = this.workers?.sample() ?? Promise.resolve([]);
    const cpu = this.cpu.sample();
    const memory = sampleMemory();
    const snapshot: HostSnapshot = {
      hostname: hostname(),
      platform: process.platform,
      cpuUtilization: cpu.utilization,
      cpuCount: cpu.count,
      memoryTotal: memory.total,
      memoryFree: memory.free,
      load: sampleLoad(),
      disks: [],
      workers: [],
      process: this.proc.sample(),
      eventLoop: this.eventLoop.sample(),
    };
    snapshot.disks = await disks;
    snapshot.workers = await workers;
    return snapshot;
  }

  stop(): void {
    this.eventLoop.stop();
    this.workers?.stop();
  }
}
