import { statfs } from 'node:fs/promises';
import type { DiskUsage } from '@gravito/pulse-protocol';
import { DiagOnce, errorMessage } from '../diag-once.js';
import { within } from './within.js';

/**
 * Size and free space of the mounts the user listed, through `fs.promises.statfs`: it runs on the
 * libuv thread pool, so the event loop is never blocked (no `df`, no `execSync`). `free` is the
 * space available to unprivileged users (`bavail`), what `df` shows as "Avail".
 */
export class DiskCollector {
  private readonly diag = new DiagOnce();

  private last: DiskUsage[] = [];

  constructor(
    private readonly mounts: readonly string[],
    private readonly timeoutMs = 1_000,
  ) {}

  /** A hung mount (a dead NFS server) must not hold the heartbeat: past the bound, the last figures stand. */
  async sample(): Promise<DiskUsage[]> {
    if (this.mounts.length === 0) return [];
    const read = Promise.all(this.mounts.map((mount) => this.one(mount))).then((r) => r.filter((d): d is DiskUsage => d !== undefined));
    const result = await within(read, this.timeoutMs);
    if (result === undefined) {
      this.diag.warn('timeout', `reading disk usage took over ${this.timeoutMs} ms; heartbeats keep the last figures`);
      return this.last;
    }
    this.last = result;
    return result;
  }

  private async one(mount: string): Promise<DiskUsage | undefined> {
    try {
      const s = await statfs(mount);
      this.diag.clear(mount);
      return { mount, total: Math.max(0, s.blocks * s.bsize), free: Math.max(0, s.bavail * s.bsize) };
    } catch (err) {
      this.diag.warn(mount, `cannot read disk usage of ${JSON.stringify(mount)}, left out of heartbeats: ${errorMessage(err)}`);
      return undefined;
    }
  }
}
