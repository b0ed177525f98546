import cluster from 'node:cluster';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { MAX_WORKER_PROCESSES, TEXT_LIMITS, type WorkerProcess } from '@gravito/pulse-protocol';
import pidusage from 'pidusage';
import { DiagOnce, errorMessage } from '../diag-once.js';
import { within } from './within.js';

/**
 * The app's worker processes, for the heartbeat's `processes`: Node `cluster` workers of this
 * (primary) process, its child processes (Linux: `/proc/<pid>/task/<pid>/children`, one read), and
 * pids the app told Pulse about (`pulse.trackProcess`). CPU and RSS come from `pidusage` (one
 * `/proc/<pid>/stat` read per pid on Linux, through a file handle it keeps open; `ps` on macOS);
 * the command name from `/proc/<pid>/comm`, read once per pid. All of it is asynchronous and
 * bounded in time: a slow read never holds the heartbeat.
 */
export class WorkerCollector {
  private readonly diag = new DiagOnce();
  private readonly cores = Math.max(1, availableParallelism());
  /** Pids the app told us about, with the name it gave; forgotten once the process is gone. */
  private readonly tracked = new Map<number, string | undefined>();
  private readonly names = new Map<number, string>();
  private last: WorkerProcess[] = [];
  /** Processes found beyond the cap at the last collection. */
  leftOut = 0;

  constructor(
    private readonly enabled: boolean,
    private readonly timeoutMs = 1_000,
    private readonly max = MAX_WORKER_PROCESSES,
  ) {}

  track(pid: number, name?: string): void {
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return;
    if (this.tracked.size >= this.max && !this.tracked.has(pid)) return; // bounded like everything else
    this.tracked.set(pid, name === undefined ? undefined : name.slice(0, TEXT_LIMITS.processName));
  }

  async sample(): Promise<WorkerProcess[]> {
    if (!this.enabled) return [];
    const result = await within(this.read(), this.timeoutMs);
    if (result === undefined) {
      this.diag.warn('timeout', `reading worker processes took over ${this.timeoutMs} ms; heartbeats keep the last figures`);
      return this.last;
    }
    this.last = result;
    return result;
  }

  private async read(): Promise<WorkerProcess[]> {
    const found = new Map<number, WorkerProcess['kind']>();
    if (cluster.isPrimary) {
      for (const worker of Object.values(cluster.workers ?? {})) {
        const pid = worker?.process.pid;
        if (pid !== undefined && !worker?.isDead()) found.set(pid, 'cluster');
      }
    }
    for (const pid of await childPids()) if (!found.has(pid)) found.set(pid, 'child');
    for (const pid of this.tracked.keys()) if (!found.has(pid)) found.set(pid, 'child');
    this.leftOut = Math.max(0, found.size - this.max);
    const pids = [...found.keys()].slice(0, this.max);
    if (pids.length === 0) return [];
    const [usage, names] = await Promise.all([this.usage(pids), Promise.all(pids.map((pid) => this.nameOf(pid)))]);
    for (const pid of this.names.keys()) if (!found.has(pid)) this.names.delete(pid);
    const result: WorkerProcess[] = [];
    pids.forEach((pid, i) => {
      const u = usage.get(pid);
      if (u === undefined) return;
      if (!Number.isFinite(u.cpu) || !Number.isFinite(u.memory)) {
        // Unknown is left out rather than sent as a number (JSON would carry NaN as null, which readers reject).
        this.diag.warn('unreadable', `pidusage read no figures for process ${pid}; it is left out until it reads some`);
        return;
      }
      result.push({
        pid,
        name: names[i] as string,
        kind: found.get(pid) as WorkerProcess['kind'],
        // pidusage reports a share of one core (up to cores × 100): the protocol wants the whole machine.
        cpu_usage: Math.min(100, Math.max(0, Math.round((u.cpu / this.cores) * 100) / 100)),
        memory_rss: Math.max(0, Math.round(u.memory)),
      });
    });
    return result;
  }

  /**
   * One pidusage call for all pids: it reads /proc/uptime once per call, so a batch costs about a quarter of
   * one call per pid at 8 workers (bench/exporter-processes.ts). A batch fails as a whole when one process has
   * ended since it was listed; then each pid is read on its own, and the ended ones are forgotten.
   */
  private async usage(pids: number[]): Promise<Map<number, { cpu: number; memory: number }>> {
    try {
      const all = await pidusage(pids);
      return new Map(pids.flatMap((pid) => (all[pid] ? [[pid, all[pid]] as const] : [])));
    } catch {
      const one = await Promise.all(
        pids.map((pid) =>
          pidusage(pid).then(
            (u) => [pid, u] as const,
            (err: unknown) => {
              this.tracked.delete(pid);
              this.names.delete(pid);
              if (!/No matching pid/i.test(errorMessage(err)))
                this.diag.warn('pidusage', `cannot read a worker process: ${errorMessage(err)}`);
              return undefined;
            },
          ),
        ),
      );
      return new Map(one.filter((entry) => entry !== undefined));
    }
  }

  private async nameOf(pid: number): Promise<string> {
    const known = this.names.get(pid) ?? this.tracked.get(pid);
    if (known !== undefined) return known;
    let name = 'node';
    if (process.platform === 'linux') {
      name = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => 'unknown')).trim() || 'unknown';
    }
    name = name.slice(0, TEXT_LIMITS.processName);
    this.names.set(pid, name);
    return name;
  }

  stop(): void {
    // pidusage keeps a file handle per pid in a module-wide history (closed when it expires, 60 s):
    // let it expire rather than clear() it, which would also drop other users' history.
    this.tracked.clear();
  }
}

/** Direct children of this process (Linux); none elsewhere, where only cluster workers and tracked pids count. */
async function childPids(): Promise<number[]> {
  if (process.platform !== 'linux') return [];
  try {
    const text = await readFile(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8');
    return text
      .split(' ')
      .map((part) => Number(part))
      .filter((pid) => Number.isInteger(pid) && pid > 0);
  } catch {
    return [];
  }
}
