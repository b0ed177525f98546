import { authHeaders } from './auth.js';
import type { HistoryPeriod, Sort } from './period.js';
import { type HistoryJson, isHistoryJson } from './period-data.js';

/** What the loader tells, each time with the period it asked for. */
export interface PeriodSink {
  loaded(period: HistoryPeriod, data: HistoryJson, receivedAt: number): void;
  /** The request failed; whatever was shown before is now older than it claims to be. `retrying`: it is asked again. */
  failed(period: HistoryPeriod, reason: string, retrying: boolean): void;
  /** The bridge refused the token (401). */
  refused(): void;
}

export interface PeriodRequest {
  period: HistoryPeriod;
  sort: Sort;
  apps: readonly string[];
}

/** Half a bucket, between 15 s and 2 min: the open bucket moves with the stream, closed ones do not change. */
export function refreshEveryMs(bucketMs: number): number {
  return Math.min(120_000, Math.max(15_000, Math.round(bucketMs / 2)));
}

/** A first answer, or a failed one, is asked again this soon. */
const FIRST_REFRESH_MS = 15_000;
/** A request the bridge has not answered by then is abandoned and counted as failed. */
const REQUEST_TIMEOUT_MS = 15_000;

/**
 * Fetches the history of one period with the page's token, then again at a cadence the answer's bucket size sets.
 * One request at a time; a new choice abandons the request and the timer of the previous one, so that an answer
 * for 24 h can never be drawn under the 1 h heading.
 */
export class PeriodLoader {
  private request: PeriodRequest | undefined;
  private abort: AbortController | undefined;
  private timer = 0;
  private generation = 0;

  constructor(
    private readonly token: string | undefined,
    private readonly sink: PeriodSink,
  ) {}

  show(request: PeriodRequest): void {
    this.stop();
    this.request = request;
    void this.load(this.generation);
  }

  stop(): void {
    this.generation++;
    this.request = undefined;
    this.abort?.abort();
    this.abort = undefined;
    clearTimeout(this.timer);
    this.timer = 0;
  }

  private async load(generation: number): Promise<void> {
    const request = this.request;
    if (!request) return;
    const abort = new AbortController();
    this.abort = abort;
    const timeout = setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MS);
    let nextMs = FIRST_REFRESH_MS;
    try {
      const res = await fetch(historyUrl(request), { headers: authHeaders(this.token), cache: 'no-store', signal: abort.signal });
      if (generation !== this.generation) return;
      if (res.status === 401) {
        await res.body?.cancel();
        this.sink.refused();
        return;
      }
      if (!res.ok) {
        const reason = `the bridge answered ${res.status}${await errorText(res)}`;
        if (generation !== this.generation) return;
        // 400 and 404 (a period longer than PULSE_HISTORY keeps, history off) will not change by asking again.
        if (res.status === 400 || res.status === 404) {
          this.sink.failed(request.period, reason, false);
          return;
        }
        this.sink.failed(request.period, reason, true);
      } else {
        const body: unknown = await res.json();
        if (generation !== this.generation) return;
        if (!isHistoryJson(body)) this.sink.failed(request.period, 'the bridge answered something that is not a history', true);
        else {
          this.sink.loaded(request.period, body, Date.now());
          nextMs = refreshEveryMs(body.bucket_ms);
        }
      }
    } catch (err) {
      if (generation !== this.generation) return;
      this.sink.failed(
        request.period,
        abort.signal.aborted ? 'the bridge did not answer in time' : `the bridge is unreachable (${(err as Error).message})`,
        true,
      );
    } finally {
      clearTimeout(timeout);
    }
    if (generation !== this.generation) return;
    this.timer = setTimeout(() => void this.load(generation), nextMs);
  }
}

function historyUrl(request: PeriodRequest): string {
  const query = new URLSearchParams({ period: request.period, sort: request.sort });
  if (request.apps.length > 0) query.set('app', request.apps.join(','));
  return `/api/pulse/history?${query}`;
}

/** The bridge's `{ "error": "…" }`, when it gave one, for the page to say why. */
async function errorText(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: unknown };
    return typeof body.error === 'string' ? `: ${body.error.slice(0, 200)}` : '';
  } catch {
    return '';
  }
}
