import type { Request, Response } from 'express';
import type { Logger } from 'pino';

export interface BroadcasterOptions {
  maxClients: number;
  /** Unsent bytes a client may hold before it is disconnected. */
  maxBufferBytes: number;
  keepAliveMs?: number;
  /** Reconnect delay suggested to clients (`retry:`). */
  retryMs?: number;
}

interface Client {
  res: Response;
  id: number;
}

export interface SseCounters {
  /** Clients disconnected because their unsent buffer passed the cap. */
  slowClientsDropped: number;
  /** Connections refused with 503 because the client cap was reached. */
  rejected: number;
}

/**
 * Writes the feed to every SSE client. An event is serialized once and written to all; a client that does not
 * read (its `writableLength` passes the cap) is cut off and counted rather than buffered forever.
 */
export class SseBroadcaster {
  private readonly clients = new Set<Client>();
  private nextEventId = 1;
  private nextClientId = 1;
  private readonly keepAlive: NodeJS.Timeout;
  readonly counters: SseCounters = { slowClientsDropped: 0, rejected: 0 };
  private closed = false;

  constructor(
    private readonly options: BroadcasterOptions,
    private readonly log: Logger,
  ) {
    this.keepAlive = setInterval(() => this.writeAll(': keep-alive\n\n'), options.keepAliveMs ?? 15_000);
    this.keepAlive.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /**
   * Takes a new client, or answers 503 past the cap. `greeting` are the events every client gets first
   * (the status and the last aggregate).
   */
  accept(req: Request, res: Response, greeting: readonly [event: string, data: string][]): void {
    if (this.closed || this.clients.size >= this.options.maxClients) {
      this.counters.rejected++;
      res.status(503).set('Retry-After', '5').json({ error: 'too many stream clients', max: this.options.maxClients });
      return;
    }
    res.status(200);
    res.set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      'X-Accel-Buffering': 'no',
      Connection: 'keep-alive',
    });
    res.flushHeaders();
    // Small writes go out at once rather than waiting on Nagle.
    req.socket.setNoDelay(true);
    const client: Client = { res, id: this.nextClientId++ };
    this.clients.add(client);
    res.on('close', () => {
      this.clients.delete(client);
    });
    res.write(`retry: ${this.options.retryMs ?? 3_000}\n\n`);
    for (const [event, data] of greeting) this.writeTo(client, this.frame(event, data));
  }

  /** Sends one event to every client. `data` is JSON (one line). */
  broadcast(event: string, data: string): void {
    if (this.clients.size === 0) return;
    this.writeAll(this.frame(event, data));
  }

  /** Ends every stream (shutdown). Idempotent. */
  close(): void {
    this.closed = true;
    clearInterval(this.keepAlive);
    for (const client of this.clients) client.res.end();
    this.clients.clear();
  }

  private frame(event: string, data: string): string {
    return `id: ${this.nextEventId++}\nevent: ${event}\ndata: ${data}\n\n`;
  }

  private writeAll(frame: string): void {
    for (const client of this.clients) this.writeTo(client, frame);
  }

  private writeTo(client: Client, frame: string): void {
    const { res } = client;
    if (res.writableEnded || res.destroyed) {
      this.clients.delete(client);
      return;
    }
    // The backlog is checked before a write, not with it: one event larger than the cap (a big aggregate)
    // still goes out to a client that keeps up.
    if (res.writableLength > this.options.maxBufferBytes) {
      this.counters.slowClientsDropped++;
      this.clients.delete(client);
      this.log.warn({ client: client.id, buffered: res.writableLength }, 'SSE client too slow: disconnected');
      res.destroy();
      return;
    }
    res.write(frame);
  }
}
