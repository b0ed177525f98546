import { authHeaders } from './auth.js';
import type { ErrorGroupJson, SlowEntry } from './protocol.js';
import { SLOW_KEPT } from './state.js';

export interface HistorySink {
  slow(app: string, entries: { stream_id: string; entry: SlowEntry }[]): void;
  errors(app: string, groups: ErrorGroupJson[]): void;
}

const RETRY_MS = 10_000;

/**
 * The stream brings slow entries and exceptions read after the page connected; what came before comes once per
 * app from the JSON API. One request at a time, so that a page opened on a thousand apps does not flood the bridge;
 * an app whose request failed (Redis down) is asked again later.
 */
export class HistoryLoader {
  private readonly queue: string[] = [];
  private readonly known = new Set<string>();
  private running = false;

  constructor(
    private readonly token: string | undefined,
    private readonly sink: HistorySink,
  ) {}

  want(app: string): void {
    if (this.known.has(app)) return;
    this.known.add(app);
    this.queue.push(app);
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let app = this.queue.shift(); app !== undefined; app = this.queue.shift()) {
        if (!(await this.load(app))) {
          const retry = app;
          setTimeout(() => {
            this.known.delete(retry);
            this.want(retry);
          }, RETRY_MS);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async load(app: string): Promise<boolean> {
    const name = encodeURIComponent(app);
    try {
      const [slow, errors] = await Promise.all([
        fetch(`/api/pulse/slow?app=${name}&limit=${SLOW_KEPT}`, { headers: authHeaders(this.token), cache: 'no-store' }),
        fetch(`/api/pulse/errors?app=${name}`, { headers: authHeaders(this.token), cache: 'no-store' }),
      ]);
      if (!slow.ok || !errors.ok) {
        await Promise.all([slow.body?.cancel(), errors.body?.cancel()]);
        return false;
      }
      this.sink.slow(app, ((await slow.json()) as { entries: { stream_id: string; entry: SlowEntry }[] }).entries);
      this.sink.errors(app, ((await errors.json()) as { groups: ErrorGroupJson[] }).groups);
      return true;
    } catch {
      return false;
    }
  }
}
