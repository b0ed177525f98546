import { cpus } from 'node:os';

interface CpuTimes {
  busy: number;
  total: number;
}

function readTimes(list: ReturnType<typeof cpus>): CpuTimes {
  let busy = 0;
  let total = 0;
  for (const cpu of list) {
    const t = cpu.times;
    const all = t.user + t.nice + t.sys + t.idle + t.irq;
    total += all;
    busy += all - t.idle;
  }
  return { busy, total };
}

/**
 * Host CPU busy ratio (0–1) from the difference of `os.cpus()` times between two samples, so a
 * sample costs one syscall-free read and never blocks. The first sample covers the time since boot.
 */
export class SystemCpuCollector {
  private previous: CpuTimes = { busy: 0, total: 0 };

  sample(): { utilization: number; count: number } {
    // os.cpus() reads /proc (about 50 µs here): call it once per sample.
    const list = cpus();
    const now = readTimes(list);
    const total = now.total - this.previous.total;
    const busy = now.busy - this.previous.busy;
    this.previous = now;
    const utilization = total > 0 ? Math.min(1, Math.max(0, busy / total)) : 0;
    return { utilization, count: Math.max(1, list.length) };
  }
}
