import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { openEventStream } from '../sse/event-stream.js';

export interface ZenithStreamOptions {
  maxClients: number;
  /** Unsent bytes a client may hold when an event is due; past it the client is disconnected and counted. */
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

/**
 * Zenith's SSE route as its page consumes it: `event: pulse` carrying `{"nodes": …}`, and `event: ping` with
 * `data: heartbeat` every 5 s. Each event is encoded once and the same bytes go to every client; clients are
 * capped, and one that stops reading is cut off and counted rather than buffered without bound.
 */
export class ZenithStream {
  readonly counts: ZenithStreamCounts = { slowClientsDropped: 0, rejected: 0 };
  private readonly clients = new Set<Response>();
  private readonly ping: NodeJS.Timeout;
  private nextEventId = 1;
  private closed = false;

  constructor(
    private readonly options: ZenithStreamOptions,
    private readonly log: Logger,
  ) {
    this.ping = setInterval(() => this.writeAll(PING), options.pingMs);
    this.ping.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Takes a client (503 past the cap) and sends it `first`, the current pulse. */
  accept(req: Request, res: Response, first: string): void {
    if (this.closed || this.clients.size >= this.options.maxClients) {
      this.counts.rejected++;
      res.status(503).set('Retry-After', '5').json({ error: 'too many stream clients', max: this.options.maxClients });
      return;
    }
    openEventStream(req, res, 3_000);
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
    this.write(res, this.frame('pulse', first));
  }

  /** Sends one event (`data` is one line of JSON) to every client. */
  send(event: string, data: string): void {
    if (this.clients.size > 0) this.writeAll(this.frame(event, data));
  }

  /** Ends every stream. Idempotent. */
  close(): void {
    this.closed = true;
    clearInterval(this.ping);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private frame(event: string, data: string): Buffer {
    return Buffer.from(`id: ${this.nextEventId++}\nevent: ${event}\ndata: ${data}\n\n`);
  }

  private writeAll(bytes: Buffer): void {
    for (const res of this.clients) this.write(res, bytes);
  }

  private write(res: Response, bytes: Buffer): void {
    if (res.writableEnded || res.destroyed) {
      this.clients.delete(res);
      return;
    }
    // Checked before the write: one event larger than the cap still goes to a client that keeps up.
    if (res.writableLength > this.options.maxBufferBytes) {
      this.counts.slowClientsDropped++;
      this.clients.delete(res);
      if (this.counts.slowClientsDropped === 1)
        this.log.warn({ buffered: res.writableLength }, 'Zenith stream client too slow: disconnected (further ones are counted)');
      res.destroy();
      return;
    }
    res.write(bytes);
  }
}
