import { type SlowRules, slowMinimumMs } from '@gravito/pulse-protocol';
import { type Context, SpanKind } from '@opentelemetry/api';
import type { HostStateHolder } from '../collect/host-state.js';
import type { ResolvedOptions } from '../config/options.js';
import { DiagOnce, errorMessage } from '../diag-once.js';
import type { IdentityCache } from '../identity.js';
import type { RedisWriter } from '../redis/writer.js';
import type { RecorderStats } from '../stats.js';
import { entryCommands } from './entry-commands.js';
import { EntryQueue, type QueuedEntry } from './entry-queue.js';
import { retryFailed } from './retry.js';
import { spanName, toErrorEntry, toSlowEntry } from './span-mapper.js';
import type { ReadableSpan, SpanProcessor } from './span-types.js';

/** The span-related settings of the resolved options, plus the parts `createPulse` shares with the exporter. */
export interface PulseSpanProcessorOptions
  extends Pick<
    ResolvedOptions,
    | 'thresholds'
    | 'ignore'
    | 'queries'
    | 'outgoing'
    | 'outgoingGroups'
    | 'sampleRate'
    | 'recordSlow'
    | 'recordErrors'
    | 'maxQueueSize'
    | 'maxQueueBytes'
    | 'flushIntervalMs'
  > {
  writer: RedisWriter;
  /** The host's state that slow entries carry (`host`); refreshed on the flush tick. Without it, entries carry none. */
  hostState?: HostStateHolder;
  identities: IdentityCache;
  stats: RecorderStats;
  /** Called once when the processor shuts down (releases the shared Redis connection). */
  onShutdown?: () => void;
}

/** Exception events read from one span; more are ignored (a retry loop could record hundreds). */
const MAX_ERRORS_PER_SPAN = 4;
/** An exception often bubbles through several spans of one trace (express layer, then route): record it once. */
const DEDUPE_CAPACITY = 512;

/**
 * Turns ended spans into slow entries (SERVER, CONSUMER and CLIENT spans over their threshold) and error
 * entries (spans with `exception` events), queued in a bounded queue and written in one pipeline
 * per flush. `onEnd` only reads and enqueues; it never does I/O and never throws.
 */
export class PulseSpanProcessor implements SpanProcessor {
  private readonly queue: EntryQueue;
  private readonly diag = new DiagOnce();
  /** Requests and jobs: the top-level options. */
  private readonly requests: SlowRules;
  private readonly minSlowMs: number;
  private readonly minClientMs: number;
  private readonly host: HostStateHolder | undefined;
  private readonly seenErrors = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private isShutdown = false;
  private shutdownPromise: Promise<void> | undefined;

  constructor(private readonly options: PulseSpanProcessorOptions) {
    this.queue = new EntryQueue(options.maxQueueSize, options.maxQueueBytes);
    this.requests = { record: options.recordSlow, thresholds: options.thresholds, ignore: options.ignore };
    this.minSlowMs = slowMinimumMs(this.requests);
    this.minClientMs = Math.min(slowMinimumMs(options.queries), slowMinimumMs(options.outgoing));
    this.host = options.hostState;
    // The flush tick also refreshes the host's state (at most once a second): no timer of its own.
    this.timer = setInterval(() => {
      this.host?.refresh();
      void this.flush();
    }, options.flushIntervalMs);
    this.timer.unref();
  }

  /** Counts the requests in flight for the host's state: one property read and a compare per span. */
  onStart(span: unknown, _parentContext: Context): void {
    if ((span as { kind?: unknown }).kind === SpanKind.SERVER) this.host?.requestStarted();
  }

  /**
   * The hot path. A span without events that is not SERVER, CONSUMER or CLIENT, or is faster than the
   * smallest threshold of its kind, costs a few property reads and compares, and allocates nothing.
   */
  onEnd(span: ReadableSpan): void {
    const kind = span.kind;
    if (kind === SpanKind.SERVER) this.host?.requestEnded();
    if (span.events.length === 0) {
      const minMs =
        kind === SpanKind.CLIENT
          ? this.minClientMs
          : kind === SpanKind.SERVER || kind === SpanKind.CONSUMER
            ? this.minSlowMs
            : Number.POSITIVE_INFINITY;
      const d = span.duration;
      if (d[0] * 1e3 + d[1] / 1e6 < minMs) return;
    }
    try {
      this.record(span);
    } catch (err) {
      // MultiSpanProcessor does not catch: a throw here would land in the app's span.end().
      this.diag.warn('map', `a span could not be recorded: ${errorMessage(err)}`);
    }
  }

  private record(span: ReadableSpan): void {
    if (this.isShutdown) return;
    const o = this.options;
    if (this.queue.full) {
      this.dropped(1);
      return;
    }
    const n = spanName(span, o.outgoingGroups);
    const rules = n.kind === 'query' ? o.queries : n.kind === 'outgoing' ? o.outgoing : this.requests;
    if (rules.ignore.matches(n.match)) return;
    if (o.sampleRate < 1 && Math.random() >= o.sampleRate) return;
    const identity = o.identities.get(span.resource);
    if (identity === undefined) return; // another Pulse writes for this identity
    if (n.kind !== 'other' && rules.record) {
      const d = span.duration;
      const durationMs = d[0] * 1e3 + d[1] / 1e6;
      const threshold = rules.thresholds.thresholdFor(n.match);
      if (durationMs >= threshold) {
        const entry = toSlowEntry(span, n, durationMs, threshold, identity.serverId, this.host?.current);
        this.enqueue({ type: 'slow', app: identity.app, entry });
      }
    }
    if (!o.recordErrors || span.events.length === 0) return;
    let recorded = 0;
    const traceId = span.spanContext().traceId;
    for (const event of span.events) {
      if (event.name !== 'exception') continue;
      if (recorded++ >= MAX_ERRORS_PER_SPAN) break;
      const entry = toErrorEntry(span, event, n, identity.serverId);
      const key = `${traceId}\n${entry.type}\n${entry.message}`;
      if (this.seenErrors.has(key)) continue;
      if (this.seenErrors.size >= DEDUPE_CAPACITY) this.seenErrors.clear();
      this.seenErrors.add(key);
      this.enqueue({ type: 'error', app: identity.app, entry });
    }
  }

  private enqueue(item: Parameters<EntryQueue['offer']>[0]): void {
    if (!this.queue.offer(item)) this.dropped(1);
  }

  private dropped(count: number): void {
    this.options.stats.droppedEntries += count;
    this.diag.warn(
      'queue-full',
      `the entry queue is full (${this.queue.capacity} entries or ${this.queue.capacityBytes} bytes): slow and error entries are dropped and counted (recorder.dropped_entries) until Redis keeps up`,
    );
  }

  /** Writes everything queued, in one pipeline (one per key on a Cluster). Never rejects. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.queue.size === 0) return Promise.resolve();
    const writer = this.options.writer;
    this.flushing = (async () => {
      await writer.ensureConnected();
      // While Redis is not ready the queue is kept (it is bounded): a short blip loses nothing.
      if (writer.ready()) await this.writeBatch();
    })().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async writeBatch(): Promise<void> {
    const { stats, writer } = this.options;
    try {
      const batch = this.queue.drain();
      const built = entryCommands(batch, Date.now());
      if (built.invalid > 0) {
        stats.invalidEntries += built.invalid;
        stats.droppedEntries += built.invalid;
        this.diag.warn('invalid', `entries failed the protocol schema and were not written: ${built.firstInvalidError}`);
      }
      const outcome = await writer.write(built.commands);
      const failed: QueuedEntry[] = [];
      built.entryOf.forEach((entry, i) => {
        if (entry >= 0 && outcome.results[i] !== true) failed.push(batch[entry] as QueuedEntry);
      });
      stats.writtenEntries += built.entryOf.filter((e) => e >= 0).length - failed.length;
      const { retried, lost } = retryFailed(this.queue, failed, Date.now());
      stats.retriedEntries += retried;
      if (lost > 0) {
        stats.droppedEntries += lost;
        this.diag.warn('write', `${lost} entries could not be written to Redis and were dropped (counted in recorder.dropped_entries)`);
      } else if (retried === 0) {
        this.diag.clear('write');
        if (!this.queue.full) this.diag.clear('queue-full');
      }
    } catch (err) {
      this.diag.warn('flush', `a flush failed: ${errorMessage(err)}`);
    }
  }

  async forceFlush(): Promise<void> {
    if (this.flushing) await this.flushing;
    await this.flush();
  }

  shutdown(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      this.isShutdown = true;
      clearInterval(this.timer);
      this.timer = undefined;
      try {
        await this.forceFlush();
        // Entries still queued (their write failed and there is no next flush) are lost: counted, not hidden.
        const left = this.queue.drain().length;
        if (left > 0) this.options.stats.droppedEntries += left;
      } finally {
        this.options.onShutdown?.();
      }
    })();
    return this.shutdownPromise;
  }
}
