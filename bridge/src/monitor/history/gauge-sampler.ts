import type { Logger } from 'pino';
import { LeftOutTally } from '../../lib/left-out-tally.js';
import { yieldToLoop } from '../../lib/loop-slice.js';
import type { QuasarReader } from '../../sources/quasar/reader.js';
import { MAX_QUEUES_PER_APP } from '../caps.js';
import type { Snapshot } from '../monitor-service.js';
import type { GaugeBuckets, OpenBucket } from './gauge-buckets.js';
import { addSample, sampleServer } from './gauge-figures.js';
import type { HistoryCounts } from './history-counts.js';

/** Servers sampled between two gives of the loop back (about 1 ms of work at 10,000 servers). */
const SAMPLE_SLICE = 1_000;

/**
 * Samples each poll's server, queue and health figures into the current bucket, after the poll rather than inside
 * it, in slices that give the loop back (as the monitor builds its snapshot): the poll's own time and the SSE and
 * /metrics requests waiting on it are not held by history's walk of every server. A poll that arrives while the
 * last one is still being sampled finishes it first, at once: samples are never two polls behind, and none is lost.
 */
export class GaugeSampler {
  /**
   * Heartbeats already sampled: a poll sees a server's unchanged heartbeat again (servers write every few seconds,
   * polls run every two) as the same object, which is one measurement, not one per poll.
   */
  private readonly sampled = new WeakSet<object>();
  private readonly serversLeftOut = new LeftOutTally();
  private serverCapLogged = false;
  private walk: Iterator<void> | undefined;
  /** Smallest buckets that closed while sampling, not yet taken for writing. */
  private closed: OpenBucket[] = [];

  constructor(
    private readonly gauges: GaugeBuckets,
    private readonly maxServers: number,
    private readonly counts: HistoryCounts,
    private readonly log: Logger,
    private readonly quasar?: QuasarReader,
  ) {}

  /**
   * Samples `snapshot` in slices, starting after the caller returns. Resolves true once this snapshot is sampled by
   * it, false if a later poll's call finished it instead (which then reports the buckets closed on the way).
   */
  async sample(snapshot: Snapshot, now: number): Promise<boolean> {
    this.finish();
    const walk = this.walkOf(snapshot, now);
    this.walk = walk;
    do {
      await yieldToLoop();
      if (this.walk !== walk) return false;
    } while (!walk.next().done);
    this.walk = undefined;
    return true;
  }

  /** The smallest buckets closed since the last call. */
  takeClosed(): OpenBucket[] {
    const closed = this.closed;
    this.closed = [];
    return closed;
  }

  /** Samples the rest of a walk still under way, at once. */
  finish(): void {
    const walk = this.walk;
    this.walk = undefined;
    if (walk) while (!walk.next().done);
  }

  private *walkOf(snapshot: Snapshot, now: number): Generator<void, void> {
    let servers = 0;
    let slice = 0;
    for (const app of snapshot.event.apps) {
      const figures = this.gauges.figuresAt(now, app.app, this.closed);
      figures.healthSum += app.health.score;
      figures.healthN++;
      figures.online = Math.max(figures.online, app.servers_online);
      figures.lost = Math.max(figures.lost, app.servers_lost);
      const depths = new Map<string, number>();
      for (const server of app.servers) {
        if (++slice === SAMPLE_SLICE) {
          slice = 0;
          yield;
        }
        if (server.status !== 'online') continue;
        if (servers >= this.maxServers && !figures.servers.has(server.id)) {
          this.serversLeftOut.add(app.app);
          continue;
        }
        servers++;
        if (this.sampled.has(server.heartbeat)) continue;
        this.sampled.add(server.heartbeat);
        let stats = figures.servers.get(server.id);
        if (!stats) {
          stats = {};
          figures.servers.set(server.id, stats);
        }
        sampleServer(stats, server.heartbeat);
        const queues = this.quasar?.nodeOf(server.heartbeat)?.queues;
        if (!queues) continue;
        for (const queue of queues) {
          const field = `${queue.driver}:${queue.name}`;
          // Several processes watch the same queue: the depth is the largest one reported.
          depths.set(field, Math.max(depths.get(field) ?? 0, queue.size.waiting));
        }
      }
      for (const [field, depth] of depths) {
        if (figures.queues.size >= MAX_QUEUES_PER_APP && !figures.queues.has(field)) continue;
        figures.queues.set(field, addSample(figures.queues.get(field), depth));
      }
    }
    const leftOut = this.serversLeftOut.settle();
    this.counts.add('servers_left_out', leftOut);
    if (leftOut > 0 && !this.serverCapLogged) {
      this.serverCapLogged = true;
      this.log.warn(
        { maxServers: this.maxServers },
        'history: more servers than the cap of servers with a series; the rest have none (counted in pulse_bridge_history_events_total{event="servers_left_out"}, logged once)',
      );
    }
  }
}
