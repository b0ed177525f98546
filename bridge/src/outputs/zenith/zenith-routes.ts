import type express from 'express';
import type { Logger } from 'pino';
import type { MonitorService } from '../../monitor/monitor-service.js';
import { ZenithStream } from './zenith-stream.js';
import type { ZenithView } from './zenith-view.js';

/** Zenith's own paths, so that a Zenith page whose `/api/pulse/nodes` and `/api/logs/stream` reach the bridge works unchanged. */
export const ZENITH_NODES_PATH = '/api/pulse/nodes';
export const ZENITH_STREAM_PATH = '/api/logs/stream';
/** Zenith's stream sends `event: ping` every 5 s. */
export const ZENITH_PING_MS = 5_000;

export interface ZenithRoutesOptions {
  maxClients: number;
  maxBufferBytes: number;
}

/**
 * The routes a Zenith Pulse page reads: `GET /api/pulse/nodes` → `{"nodes": {service: PulseNode[]}}`, and an
 * SSE stream with `event: pulse` (the same envelope) after every poll and `event: ping` every 5 s. They sit
 * behind the bridge's token and CORS rules like every other route; the stream has its own client cap.
 */
export class ZenithRoutes {
  readonly stream: ZenithStream;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly monitor: MonitorService,
    private readonly view: ZenithView,
    options: ZenithRoutesOptions,
    log: Logger,
  ) {
    this.stream = new ZenithStream({ ...options, pingMs: ZENITH_PING_MS }, log);
    // The envelope is only built when someone listens.
    this.unsubscribe = monitor.subscribe({
      snapshot: (snapshot) => {
        if (this.stream.size > 0) this.stream.pulse(view.body(snapshot));
      },
    });
  }

  install(app: express.Express): void {
    app.get(ZENITH_NODES_PATH, (_req, res) => {
      res.type('application/json').send(this.view.body(this.monitor.lastSnapshot()));
    });
    app.get(ZENITH_STREAM_PATH, (req, res) => {
      this.stream.accept(req, res, this.view.body(this.monitor.lastSnapshot()));
    });
  }

  /** Ends the streams. Idempotent. */
  close(): void {
    this.unsubscribe();
    this.stream.close();
  }
}
