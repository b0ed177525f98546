import { availableParallelism } from 'node:os';

export interface ProcessSample {
  pid: number;
  uptimeSeconds: number;
  /** Share of the whole machine (all cores), 0–1, since the previous sample. */
  cpuUtilization: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
}

/**
 * The recorder's own process, from `process.cpuUsage()` and `process.memoryUsage()`: a few µs,
 * where `pidusage` costs about 300 µs (it is for reporting *other* processes).
 * The first sample covers the time since the process started.
 */
export class ProcessCollector {
  private previousCpu = { user: 0, system: 0 };
  private previousAt = process.hrtime.bigint() - BigInt(Math.round(process.uptime() * 1e9));
  private readonly cores = Math.max(1, availableParallelism());

  sample(): ProcessSample {
    const now = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const elapsedMicros = Number(now - this.previousAt) / 1_000;
    const usedMicros = cpu.user - this.previousCpu.user + (cpu.system - this.previousCpu.system);
    this.previousCpu = cpu;
    this.previousAt = now;
    const cpuUtilization = elapsedMicros > 0 ? Math.min(1, Math.max(0, usedMicros / (elapsedMicros * this.cores))) : 0;
    const memory = process.memoryUsage();
    return {
      pid: process.pid,
      uptimeSeconds: process.uptime(),
      cpuUtilization,
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      // Bun reports JavaScriptCore's heap, whose capacity can lag its size between collections (heapUsed over
      // heapTotal). What is in use is also reserved: never report less reserved than used. A no-op on Node.
      heapTotal: Math.max(memory.heapTotal, memory.heapUsed),
    };
  }
}
