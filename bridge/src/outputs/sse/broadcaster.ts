import type { IncomingMessage, ServerResponse } from 'node:http';
import { PULSE_EVENTS } from '@gravito/pulse-protocol';
import type { Logger } from 'pino';
import { LoopSlice } from '../../lib/loop-slice.js';
import type { Snapshot } from '../../monitor/monitor-service.js';
import { documentParts } from '../../monitor/snapshot-encoding.js';
import { unsentBudget } from './client-budget.js';
import { deltaParts, type EncodedDelta, encodeDelta } from './delta.js';
import { openEventStream } from './event-stream.js';
import { byteLength, joinedParts, joinPays } from './joined-parts.js';
import { asFull, type Subscription, wants } from './subscription.js';

export interface BroadcasterOptions {
  maxClients: number;
  /**
   * Unsent bytes a client may hold when a new event is written, or three whole states of its apps (full
   * `system_pulse`s) if that is larger; past it the client is disconnected. The bytes are references to buffers
   * shared by every client.
   */
  maxBufferBytes: number;
  keepAliveMs?: number;
  /** Reconnect delay suggested to clients (`retry:`). */
  retryMs?: number;
}

interface Client {
  res: ServerResponse;
  id: number;
  sub: Subscription;
  /** `sub` in full mode: made once here, as every pulse measures the client's budget by it. */
  full: Subscription;
  /** Bytes of the whole state it follows (a full `system_pulse` of its apps) at the last pulse written to it. */
  stateBytes: number;
  /** Shared buffers queued for it and not yet handed to its socket, in order; the first from `offset` on. */
  outbox: Buffer[];
  offset: number;
  /** Bytes of `outbox` not yet handed to the socket. */
  queued: number;
  /** Its socket has more than it can take now: fed again on its `drain`. */
  waiting: boolean;
}

export interface SseCounters {
  /** Clients disconnected because their unsent bytes passed their budget. */
  slowClientsDropped: number;
  /** Connections refused with 503 because the client cap was reached. */
  rejected: number;
  /** Slow or error events not sent because the outgoing queue was full. */
  eventsDropped: number;
}

/** A tick's aggregate, as sent: encoded once per subscription kind, shared by every client of that kind. */
interface PulseFrame {
  id: number;
  snapshot: Snapshot;
  /** Buffers to write, by subscription key; built on first use. */
  variants: Map<string, Variant>;
  delta: EncodedDelta | undefined;
}

/** What one kind of subscription is sent for one pulse: the event's buffers, and their length. */
interface Variant {
  parts: Buffer[];
  bytes: number;
}

/** The body of a pulse for one kind of subscription: the apps it follows, whole or as a delta. */
function pulseBody(frame: PulseFrame, sub: Subscription): Buffer[] {
  const delta = sub.mode === 'delta' ? frame.delta : undefined;
  return delta ? deltaParts(delta, sub.apps) : documentParts(frame.snapshot.document, sub.apps);
}

/** A pulse's body as an event: its id and kind before, its end after. */
function framed(frame: PulseFrame, sub: Subscription, body: readonly Buffer[]): Variant {
  const event = sub.mode === 'delta' && frame.delta ? PULSE_EVENTS.systemPulseDelta : PULSE_EVENTS.systemPulse;
  const parts = [Buffer.from(`id: ${frame.id}\nevent: ${event}\ndata: `), ...body, FRAME_END];
  return { parts, bytes: byteLength(parts) };
}

/** One encoded event about an app (undefined: about none, for every client). */
interface EventFrame {
  app: string | undefined;
  bytes: Buffer;
}

/** Work for the writer, in order. Event ids are given when a job is written, so they increase on every stream. */
type Job =
  | { kind: 'pulse' }
  | { kind: 'events'; event: string; items: readonly { app?: string; data: string }[] }
  | { kind: 'comment'; bytes: Buffer };

const FRAME_END = Buffer.from('\n\n');
const KEEP_ALIVE = Buffer.from(': keep-alive\n\n');
/** Longest run of queueing events for clients, or of feeding their sockets, before the event loop is given back. */
const WRITE_BUDGET_MS = 4;
/** Clients queued for between two looks at the clock (feeding a socket looks at it after each client). */
const CLOCK_EVERY = 8;
/**
 * Most bytes handed to one socket at a time. A socket is fed a piece, then another once it has taken it
 * (`drain`), so one turn of the event loop copies at most about a piece per client into the kernel. A socket
 * handed a whole 7.7 MB event takes megabytes in one turn, and at 100 clients that holds the loop for 100 ms and
 * more (the bare ceiling server of bench/bridge-fanout.ts: `/healthz` p99 169 ms at 100 readers). Pieces of 64 KiB
 * cost a third of a core more at 385 MB/s (a write and a `drain` per piece) and cut throughput: 1 MiB keeps both.
 */
const PIECE_BYTES = 1024 * 1024;
/** Slow and error events waiting to be written, at most (they come in bursts of a tick's reads). */
const MAX_QUEUED_EVENTS = 10_000;
/** A burst of drops is logged once, then once a minute at most, with the count. */
const DROP_LOG_EVERY_MS = 60_000;

/**
 * Writes the feed to every SSE client. Each event is encoded once, into buffers every client is sent (the
 * pulse of a tick once per subscription kind: full or delta, all apps or some), so a client's queue holds
 * references to shared bytes, not copies. Writing runs in the order events came, in slices that give the event
 * loop back, and a client whose unsent bytes pass its budget is cut off and counted.
 */
export class SseBroadcaster {
  private readonly clients = new Set<Client>();
  /** Clients with queued bytes whose socket can take more, in the order they are fed (round-robin). */
  private readonly ready = new Set<Client>();
  private feeding = false;
  private nextEventId = 1;
  private nextClientId = 1;
  private readonly keepAlive: NodeJS.Timeout;
  readonly counters: SseCounters = { slowClientsDropped: 0, rejected: 0, eventsDropped: 0 };
  private closed = false;
  /** The last pulse whose writing started: a new client is greeted with it, the next delta is taken from it. */
  private sent: PulseFrame;
  /** A newer snapshot than `sent`, waiting for the writer (only the newest waits: deltas are taken at write time). */
  private pendingPulse: Snapshot | undefined;
  private readonly queue: Job[] = [];
  private queuedEvents = 0;
  private writing = false;
  private dropsUnlogged = 0;
  private lastDropLog = 0;

  constructor(
    private readonly options: BroadcasterOptions,
    private readonly log: Logger,
    initial: Snapshot,
  ) {
    this.sent = this.frameOf(initial);
    this.keepAlive = setInterval(() => this.keepAliveAll(), options.keepAliveMs ?? 15_000);
    this.keepAlive.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Takes a new client, or answers 503 past the cap. It is sent `status` (JSON), then the last pulse in full. */
  // Plain node:http types rather than express's: the published .d.ts must not need @types/express.
  accept(req: IncomingMessage, res: ServerResponse, sub: Subscription, status: string): void {
    if (this.closed || this.clients.size >= this.options.maxClients) {
      this.counters.rejected++;
      res
        .writeHead(503, { 'Content-Type': 'application/json; charset=utf-8', 'Retry-After': '5' })
        .end(JSON.stringify({ error: 'too many stream clients', max: this.options.maxClients }));
      return;
    }
    openEventStream(req, res, this.options.retryMs ?? 3_000);
    const client: Client = {
      res,
      id: this.nextClientId++,
      sub,
      full: asFull(sub),
      stateBytes: 0,
      outbox: [],
      offset: 0,
      queued: 0,
      waiting: false,
    };
    this.clients.add(client);
    res.on('close', () => this.forget(client));
    res.on('drain', () => {
      client.waiting = false;
      if (client.queued > 0) this.makeReady(client);
    });
    this.write(client, [this.eventFrame(PULSE_EVENTS.status, status)]);
    // A delta client starts from the full state, on every connect: after a reconnect (Last-Event-ID or not)
    // it may have missed events, so it never builds on what it had. The shared bytes get an id of its own.
    const first = this.variant(this.sent, client.full);
    client.stateBytes = first.bytes;
    this.write(client, [this.eventHead(PULSE_EVENTS.systemPulse), ...first.parts.slice(1)]);
  }

  /** Sends a tick's aggregate: `system_pulse`, or `system_pulse_delta` to delta clients. */
  pulse(snapshot: Snapshot): void {
    if (this.closed) return;
    if (this.pendingPulse === undefined) this.queue.push({ kind: 'pulse' });
    this.pendingPulse = snapshot;
    this.drain();
  }

  /** Sends one event per item (`data` is one line of JSON), to the clients that want its app. */
  events(event: string, items: readonly { app?: string; data: string }[]): void {
    if (this.closed || items.length === 0) return;
    const room = MAX_QUEUED_EVENTS - this.queuedEvents;
    if (room < items.length) {
      this.counters.eventsDropped += items.length - Math.max(0, room);
      this.log.warn({ dropped: items.length - Math.max(0, room) }, 'SSE event queue full: events dropped');
    }
    if (room <= 0) return;
    const kept = items.slice(0, room);
    this.queuedEvents += kept.length;
    this.queue.push({ kind: 'events', event, items: kept });
    this.drain();
  }

  /** Ends every stream (shutdown). Idempotent. */
  close(): void {
    this.closed = true;
    clearInterval(this.keepAlive);
    this.queue.length = 0;
    this.ready.clear();
    for (const client of this.clients) client.res.end();
    this.clients.clear();
  }

  private keepAliveAll(): void {
    // One waits at most: a writer that is behind needs no second comment.
    if (!this.queue.some((job) => job.kind === 'comment')) this.queue.push({ kind: 'comment', bytes: KEEP_ALIVE });
    this.drain();
  }

  private eventHead(event: string): Buffer {
    return Buffer.from(`id: ${this.nextEventId++}\nevent: ${event}\ndata: `);
  }

  private eventFrame(event: string, data: string): Buffer {
    return Buffer.from(`id: ${this.nextEventId++}\nevent: ${event}\ndata: ${data}\n\n`);
  }

  private frameOf(snapshot: Snapshot): PulseFrame {
    return { id: this.nextEventId++, snapshot, variants: new Map(), delta: undefined };
  }

  /**
   * The buffers a subscription is sent for one pulse, built once per pulse and kind: by `buildVariants` for the
   * kinds its clients had then; for a kind first seen later (a client that connects), the event's own buffers.
   */
  private variant(frame: PulseFrame, sub: Subscription): Variant {
    let variant = frame.variants.get(sub.key);
    if (variant === undefined) {
      variant = framed(frame, sub, pulseBody(frame, sub));
      frame.variants.set(sub.key, variant);
    }
    return variant;
  }

  /**
   * The pulse's buffers for each kind of subscription of `clients`, once per kind. The document holds each app's
   * object apart (the tick writes only the changed ones): where a kind's clients are many for its buffers
   * (`joinPays`), they are joined into pieces a socket takes in one write, shared by all its clients, giving the
   * event loop back between pieces; otherwise each client is handed the event's own buffers (for Zenith alone, a
   * copy of the whole state every pulse, ~8 MB at 10,000 servers into fresh memory, costs more than their writes).
   * A delta client counts for its full kind too: a client that connects is sent that.
   */
  private async buildVariants(frame: PulseFrame, clients: readonly Client[]): Promise<void> {
    const kinds = new Map<string, { sub: Subscription; clients: number }>();
    const count = (sub: Subscription) => {
      const kind = kinds.get(sub.key);
      if (kind === undefined) kinds.set(sub.key, { sub, clients: 1 });
      else kind.clients++;
    };
    for (const { sub, full } of clients) {
      count(sub);
      if (full !== sub) count(full);
    }
    for (const { sub, clients: n } of kinds.values()) {
      const body = pulseBody(frame, sub);
      frame.variants.set(sub.key, framed(frame, sub, joinPays(body, n) ? await joinedParts(body, PIECE_BYTES) : body));
    }
  }

  private drain(): void {
    if (this.writing) return;
    this.writing = true;
    void this.writeQueue().finally(() => {
      this.writing = false;
    });
  }

  private async writeQueue(): Promise<void> {
    for (let job = this.queue.shift(); job !== undefined && !this.closed; job = this.queue.shift()) {
      try {
        if (job.kind === 'pulse') await this.writePulse();
        else if (job.kind === 'comment') await this.eachClient((client) => this.write(client, [job.bytes]));
        else await this.writeEvents(job.event, job.items);
      } catch (err) {
        this.log.error({ err }, 'SSE write failed');
      }
    }
  }

  private async writeEvents(event: string, items: readonly { app?: string; data: string }[]): Promise<void> {
    this.queuedEvents -= items.length;
    const frames: EventFrame[] = items.map(({ app, data }) => ({ app, bytes: this.eventFrame(event, data) }));
    // The frames each subscription wants, picked once per subscription kind (as pulses are), not per client.
    const byKind = new Map<string, Buffer[]>();
    await this.eachClient((client) => {
      let wanted = byKind.get(client.sub.key);
      if (wanted === undefined) {
        wanted = frames.filter((f) => wants(client.sub, f.app)).map((f) => f.bytes);
        byKind.set(client.sub.key, wanted);
      }
      if (wanted.length > 0) this.write(client, wanted);
    });
  }

  private async writePulse(): Promise<void> {
    const snapshot = this.pendingPulse as Snapshot;
    this.pendingPulse = undefined;
    const previous = this.sent.snapshot;
    const frame = this.frameOf(snapshot);
    // Taken from the pulse last sent to the clients this one goes to: they all hold exactly that state.
    const clients = [...this.clients];
    if (clients.some((c) => c.sub.mode === 'delta')) frame.delta = await encodeDelta(previous, snapshot);
    this.sent = frame;
    await this.buildVariants(frame, clients);
    await this.eachClient((client) => {
      const variant = this.variant(frame, client.sub);
      this.write(client, variant.parts, this.variant(frame, client.full).bytes);
    }, clients);
  }

  /** Calls `fn` for each client, giving the event loop back every `WRITE_BUDGET_MS`. */
  private async eachClient(fn: (client: Client) => void, clients = [...this.clients]): Promise<void> {
    const slice = new LoopSlice(WRITE_BUDGET_MS, CLOCK_EVERY);
    for (const client of clients) {
      if (slice.due()) await slice.yield();
      if (this.clients.has(client)) fn(client);
    }
  }

  /** Queues buffers for one client unless it has fallen past its budget; `stateBytes` when they are a pulse. */
  private write(client: Client, parts: readonly Buffer[], stateBytes?: number): void {
    const { res } = client;
    if (this.forgetIfGone(client)) return;
    // Checked before the write, not with it: one event larger than the budget still goes to a client that
    // keeps up. The budget scales with what the client follows: three whole states of its apps (a delta client
    // still taking in its first full state, or a client a pulse behind on a busy machine, catches up), and what
    // it holds costs little: references to buffers every other client holds too.
    const budget = unsentBudget(this.options.maxBufferBytes, client.stateBytes);
    const unsent = client.queued + res.writableLength;
    if (unsent > budget) {
      this.drop(client, unsent);
      return;
    }
    if (stateBytes !== undefined) client.stateBytes = stateBytes;
    for (const part of parts) {
      client.outbox.push(part);
      client.queued += part.length;
    }
    if (!client.waiting) this.makeReady(client);
  }

  private makeReady(client: Client): void {
    this.ready.add(client);
    if (this.feeding) return;
    this.feeding = true;
    setImmediate(() => this.feedReady());
  }

  /**
   * Hands each ready client's socket its next piece, round-robin, until none is ready or `WRITE_BUDGET_MS` has
   * passed (then again after the loop has turned). A client whose socket is full waits for its `drain`.
   */
  private feedReady(): void {
    const started = performance.now();
    // A Set is iterated in insertion order and reaches what is added during the loop: a client fed and still
    // ready goes to the back.
    for (const client of this.ready) {
      this.ready.delete(client);
      this.feed(client);
      if (client.queued > 0 && !client.waiting) this.ready.add(client);
      if (performance.now() - started >= WRITE_BUDGET_MS) break;
    }
    if (this.ready.size > 0) setImmediate(() => this.feedReady());
    else this.feeding = false;
  }

  /** Hands one client's socket up to `PIECE_BYTES` of its queue (several small buffers go out in one write). */
  private feed(client: Client): void {
    const { res } = client;
    if (this.forgetIfGone(client)) return;
    let room = PIECE_BYTES;
    res.cork();
    while (room > 0 && client.outbox.length > 0) {
      const first = client.outbox[0] as Buffer;
      const take = Math.min(room, first.length - client.offset);
      res.write(take === first.length ? first : first.subarray(client.offset, client.offset + take));
      room -= take;
      client.queued -= take;
      client.offset += take;
      if (client.offset === first.length) {
        client.outbox.shift();
        client.offset = 0;
      }
    }
    res.uncork();
    // Fed again in its turn while less than a piece waits in Node (so its socket does not run dry before its
    // turn comes back); past that it waits for its `drain`.
    client.waiting = res.writableLength >= PIECE_BYTES;
  }

  /** Forgets a client whose stream has ended or been destroyed; says whether it did. */
  private forgetIfGone(client: Client): boolean {
    const gone = client.res.writableEnded || client.res.destroyed;
    if (gone) this.forget(client);
    return gone;
  }

  /** A client that is gone: what it had queued is released. */
  private forget(client: Client): void {
    this.clients.delete(client);
    this.ready.delete(client);
    client.outbox = [];
    client.queued = 0;
  }

  private drop(client: Client, buffered: number): void {
    this.counters.slowClientsDropped++;
    this.forget(client);
    client.res.destroy();
    this.dropsUnlogged++;
    const now = Date.now();
    if (now - this.lastDropLog >= DROP_LOG_EVERY_MS) {
      this.log.warn(
        { client: client.id, buffered, dropped: this.dropsUnlogged, total: this.counters.slowClientsDropped },
        'SSE client too slow: disconnected (further drops within a minute are only counted)',
      );
      this.lastDropLog = now;
      this.dropsUnlogged = 0;
    }
  }
}
