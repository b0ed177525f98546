import { probeAccess } from './auth.js';
import { EVENTS } from './protocol.js';

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'refused';

export interface ConnectionHandlers {
  /** One SSE event; `receivedAt` is its `timeStamp` on the page's performance clock. */
  event(name: string, data: string, receivedAt: number): void;
  state(state: ConnectionState): void;
}

const MAX_RETRY_MS = 10_000;

/**
 * The `/api/pulse/stream` subscription. The browser's EventSource retries by itself after a dropped connection
 * (the bridge sends `retry: 3000`), but gives up for good on an HTTP error (a restarting bridge may answer 503,
 * a changed token 401): then this reconnects with a backoff, or reports `refused` when the token no longer works.
 */
export class PulseConnection {
  private source: EventSource | undefined;
  private retryMs = 1_000;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(
    private readonly token: string | undefined,
    private readonly handlers: ConnectionHandlers,
    private readonly query: Record<string, string> = {},
  ) {}

  start(): void {
    this.stopped = false;
    this.open('connecting');
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.source?.close();
    this.source = undefined;
  }

  private url(): string {
    const url = new URL('/api/pulse/stream', location.origin);
    for (const [name, value] of Object.entries(this.query)) url.searchParams.set(name, value);
    if (this.token) url.searchParams.set('access_token', this.token);
    return url.pathname + url.search;
  }

  private open(state: ConnectionState): void {
    this.handlers.state(state);
    const source = new EventSource(this.url());
    this.source = source;
    source.onopen = () => {
      this.retryMs = 1_000;
      this.handlers.state('open');
    };
    source.onerror = () => {
      if (source.readyState === EventSource.CONNECTING) {
        this.handlers.state('reconnecting');
        return;
      }
      source.close();
      if (this.source === source) void this.recover();
    };
    for (const name of Object.values(EVENTS)) {
      source.addEventListener(name, (e) => this.handlers.event(name, (e as MessageEvent<string>).data, e.timeStamp));
    }
  }

  private async recover(): Promise<void> {
    this.handlers.state('reconnecting');
    if ((await probeAccess(this.token)).access === 'refused') {
      this.handlers.state('refused');
      return;
    }
    if (this.stopped) return;
    this.retryTimer = setTimeout(() => {
      if (!this.stopped) this.open('reconnecting');
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
  }
}
