import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { unsentBudget } from '../sse/client-budget.js';
import { openEventStream } from '../sse/event-stream.js';

export interface ZenithStreamOptions {
  maxClients: number;
  /**
   * Unsent bytes a client may hold when an event is due, or three whole pulses if that is larger
   * (`unsentBudget`, as on the main feed); past it the client is disconnected and counted.
   */
  maxBufferBytes: number;
  /** Zenith's stream pings every 5 s. */
  pingMs: number;
}

export interface ZenithStreamCounts {
  /** Clients disconnected because their unsent bytes passed the cap. */
  slowClientsDropped: number;
  /** Connections answered 503 at the client cap. */
  rejected: number;
}

const PING = Buffer.from('event: ping\ndata: heartbeat\n\n');
const FRAME_END = Buffer.from('\n\n');

/**
 * Zenith's SSE route as its page consumes it: `event: pulse` carrying `{"nodes": …}`, and `event: ping` with
 * `data: heartbeat` every 5 s. Each event is encoded once and the same bytes go to every client; clients are
 * capped, and one that stops reading is cut off and counted rather than buffered without bound: past the budget
 * of the main feed (`unsentBudget`), so that a client taking in pulses of many megabytes is not cut at its second.
 */
export class ZenithStream {
  readonly counts: ZenithStreamCounts = { slowClientsDropped: 0, rejected: 0 };
  private readonly clients = new Set<Response>();
  private readonly ping: NodeJS.Timeout;
  private nextEventId = 1;
  private closed = false;
  /** Bytes of the latest pulse: every client follows the whole state, so it is each client's state size. */
  private stateBytes = 0;

  constructor(
    private readonly options: ZenithStreamOptions,
    private readonly log: Logger,
  ) {
    this.ping = setInterval(() => this.writeAll([PING]), options.pingMs);
    this.ping.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Takes a client (503 past the cap) and sends it `first`, the current pulse (one line of JSON). */
  accept(req: Request, res: Response, first: Buffer): void {
    if (this.closed || this.clients.size >= this.options.maxClients) {
      this.counts.rejected++;
      res.status(503).set('Retry-After', '5').json({ error: 'too many stream clients', max: this.options.maxClients });
      return;
    }
    openEventStream(req, res, 3_000);
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
    this.write(res, this.pulseFrame(first));
  }

  /** Sends one pulse (`data` is one line of JSON: the whole state) to every client: the same bytes, not copies. */
  pulse(data: Buffer): void {
    if (this.clients.size > 0) this.writeAll(this.pulseFrame(data));
  }

  /** Ends every stream. Idempotent. */
  close(): void {
    this.closed = true;
    clearInterval(this.ping);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private pulseFrame(data: Buffer): Buffer[] {
    const head = Buffer.from(`id: ${this.nextEventId++}\nevent: pulse\ndata: `);
    this.stateBytes = head.length + data.length + FRAME_END.length;
    return [head, data, FRAME_END];
  }

  private writeAll(parts: readonly Buffer[]): void {
    for (const res of this.clients) this.write(res, parts);
  }

  private write(res: Response, parts: readonly Buffer[]): void {
    if (res.writableEnded || res.destroyed) {
      this.clients.delete(res);
      return;
    }
    // Checked before the write: one event larger than the budget still goes to a client that keeps up.
    if (res.writableLength > unsentBudget(this.options.maxBufferBytes, this.stateBytes)) {
      this.counts.slowClientsDropped++;
      this.clients.delete(res);
      if (this.counts.slowClientsDropped === 1)
        this.log.warn({ buffered: res.writableLength }, 'Zenith stream client too slow: disconnected (further ones are counted)');
      res.destroy();
      return;
    }
    res.cork();
    for (const part of parts) res.write(part);
    res.uncork();
  }
}
