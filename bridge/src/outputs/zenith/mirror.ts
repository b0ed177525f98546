import {
  heartbeatSource,
  isMirroredNodeJson,
  MAX_PULSE_NODE_BYTES,
  MIRROR_MARK_JSON,
  QUASAR_NODE_TTL_SECONDS,
  quasarNodeKey,
} from '@gravito/pulse-protocol';
import calculateSlot from 'cluster-key-slot';
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { yieldToLoop } from '../../lib/loop-slice.js';
import type { Snapshot } from '../../monitor/monitor-service.js';
import { boundedGetChunk } from '../../redis/bounded-get.js';
import type { RedisHandle } from '../../redis/connection.js';
import { redisErrorText } from '../../redis/error-text.js';
import { noteReadRefusal, readRefusal } from '../../redis/refusals.js';
import { serverNodeJson } from './server-node.js';

/** Most nodes written per poll; the servers past it are counted, not written. */
export const DEFAULT_MAX_MIRRORED = 10_000;
/** Servers mapped, and written, per chunk (one pipeline, or one per slot on a cluster). */
const PIPELINE_CHUNK = 500;

/**
 * SET the node unless the key holds a value that is not a mirrored node, i.e. one an agent wrote: checked and
 * written in one step on the server, so an agent's node is never clobbered, even if it appears between two polls.
 * The test is `isMirroredNodeJson`'s, in Lua: the mark's text (ARGV[3]) must be there, and the decoded node's
 * top-level `meta.gravito_pulse.mirror` must be true, so an agent that nests the mark deeper in its meta keeps its
 * node. A value over the node bound (ARGV[4]) is no mirrored node, and is measured, not read. Returns 1 when
 * written, 0 when the key belongs to an agent.
 */
const SET_UNLESS_AGENT = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  if redis.call('STRLEN', KEYS[1]) > tonumber(ARGV[4]) then return 0 end
  local current = redis.call('GET', KEYS[1])
  if not string.find(current, ARGV[3], 1, true) then return 0 end
  local ok, node = pcall(cjson.decode, current)
  if not ok or type(node) ~= 'table' or type(node.meta) ~= 'table' then return 0 end
  local mark = node.meta.gravito_pulse
  if type(mark) ~= 'table' or mark.mirror ~= true then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1`;

type MirrorClient = (Redis | Cluster) & {
  pulseMirrorSet(key: string, value: string, ttl: number, mark: string, maxBytes: number): Promise<number>;
};
type MirrorPipeline = ChainableCommander & {
  pulseMirrorSet(key: string, value: string, ttl: number, mark: string, maxBytes: number): ChainableCommander;
};

export interface MirrorCounts {
  /** Nodes written. */
  written: number;
  /** Keys left alone because an agent wrote them. */
  agentOwned: number;
  /** Writes that failed (a command error, or a pipeline that failed as a whole). */
  failed: number;
  /** Online servers not written because a poll found more than the cap. */
  overCap: number;
  /** Polls skipped because the previous poll's writes were still going. */
  busy: number;
}

/**
 * The Zenith mirror (opt-in): after every poll, each online `pulse:server:*` server is written as a PulseNode to
 * `gravito:quasar:node:{app}:{id}` with `EX 30`, so that the Zenith that ships today shows it. Lost and stopped
 * servers are not written: their node expires, and Zenith sees it go yellow, then vanish, as with its own agents.
 * Nodes read from agents are not written back. Pipelined (per slot on a cluster), at most one poll's writes in
 * flight, capped per poll; every failure is counted, never thrown. Where Redis refuses scripts, the check and the
 * write are two steps (`sendWithoutScripts`).
 */
export class ZenithMirror {
  readonly counts: MirrorCounts = { written: 0, agentOwned: 0, failed: 0, overCap: 0, busy: 0 };
  private running: Promise<void> | undefined;
  private lastError: string | undefined;
  private twoStepsLogged = false;

  constructor(
    private readonly redis: RedisHandle,
    private readonly log: Logger,
    private readonly maxPerPoll = DEFAULT_MAX_MIRRORED,
  ) {
    if (!('pulseMirrorSet' in redis.client)) redis.client.defineCommand('pulseMirrorSet', { numberOfKeys: 1, lua: SET_UNLESS_AGENT });
  }

  /** Writes one snapshot's online servers. Returns at once; the writes go on in the background. */
  mirror(snapshot: Snapshot): void {
    if (!snapshot.event.redis_up) return;
    if (this.running) {
      this.counts.busy++;
      return;
    }
    this.running = this.write(snapshot).finally(() => {
      this.running = undefined;
    });
  }

  /** Waits for the writes in flight (tests, shutdown). */
  async settled(): Promise<void> {
    await this.running;
  }

  /**
   * Maps and sends in chunks of PIPELINE_CHUNK servers, giving the event loop back between chunks: mapping
   * 10,000 changed servers in one go would hold it for tens of milliseconds (unchanged ones are mapped once).
   * Each chunk's pipelines are in flight while the next is mapped.
   */
  private async write(snapshot: Snapshot): Promise<void> {
    const sends: Promise<void>[] = [];
    let chunk: [key: string, value: string][] = [];
    let total = 0;
    for (const app of snapshot.event.apps) {
      for (const server of app.servers) {
        if (server.status !== 'online' || heartbeatSource(server.heartbeat) !== 'gpp') continue;
        if (total >= this.maxPerPoll) {
          this.counts.overCap++;
          continue;
        }
        total++;
        chunk.push([quasarNodeKey(server.app, server.id), serverNodeJson(server)]);
        if (chunk.length >= PIPELINE_CHUNK) {
          for (const batch of this.bySlot(chunk)) sends.push(this.send(batch));
          chunk = [];
          await yieldToLoop();
        }
      }
    }
    for (const batch of this.bySlot(chunk)) sends.push(this.send(batch));
    await Promise.all(sends);
  }

  /** One pipeline per slot on a cluster (a pipeline cannot span slots); the whole chunk otherwise. */
  private bySlot(writes: [string, string][]): [string, string][][] {
    if (!this.redis.cluster) return writes.length > 0 ? [writes] : [];
    const groups = new Map<number, [string, string][]>();
    for (const write of writes) {
      const slot = calculateSlot(write[0]);
      const list = groups.get(slot);
      if (list) list.push(write);
      else groups.set(slot, [write]);
    }
    return [...groups.values()];
  }

  private async send(batch: [string, string][]): Promise<void> {
    if (readRefusal(this.redis, 'scripts') !== undefined) return this.sendWithoutScripts(batch);
    const pipeline = (this.redis.client as MirrorClient).pipeline() as MirrorPipeline;
    for (const [key, value] of batch) pipeline.pulseMirrorSet(key, value, QUASAR_NODE_TTL_SECONDS, MIRROR_MARK_JSON, MAX_PULSE_NODE_BYTES);
    try {
      const results = (await pipeline.exec()) ?? [];
      if (results.some(([err]) => err && noteReadRefusal(this.redis, 'scripts', err))) return this.sendWithoutScripts(batch);
      for (const [err, written] of results) {
        if (err) this.failed(err);
        else if (written === 1) this.counts.written++;
        else this.counts.agentOwned++;
      }
      // A reply per command, or the whole batch failed.
      if (results.length < batch.length) this.failed('pipeline aborted', batch.length - results.length);
    } catch (err) {
      this.failed(err, batch.length);
    }
  }

  /**
   * Where Redis refuses scripts, the check and the write are two steps: each key is read, then written only if it
   * was empty (`SET NX`, which also never writes over a value that appeared in between) or held a node the mirror
   * wrote. So an agent that writes a node at the very key of a server the mirror writes, between the two steps, has
   * that node overwritten once, until its next heartbeat; with scripts it never is.
   */
  private async sendWithoutScripts(batch: [string, string][]): Promise<void> {
    if (!this.twoStepsLogged) {
      this.twoStepsLogged = true;
      this.log.warn(
        { err: readRefusal(this.redis, 'scripts') },
        "Zenith mirror: redis refuses scripts: each node is checked, then written (an agent's node written in between is overwritten once)",
      );
    }
    try {
      // Read as every value is (bounded: a huge value at a node key is measured, not fetched).
      const current = await boundedGetChunk(
        this.redis,
        batch.map(([key]) => key),
        MAX_PULSE_NODE_BYTES,
      );
      const writes = this.redis.client.pipeline();
      let sent = 0;
      for (let i = 0; i < batch.length; i++) {
        const [key, node] = batch[i] as [string, string];
        const value = current[i];
        if (value === null) writes.set(key, node, 'EX', QUASAR_NODE_TTL_SECONDS, 'NX');
        else if (typeof value === 'string' && isMirroredNodeJson(value)) writes.set(key, node, 'EX', QUASAR_NODE_TTL_SECONDS);
        else {
          // An agent's node, or a value the mirror never writes (over the size bound, not a string): left alone.
          this.counts.agentOwned++;
          continue;
        }
        sent++;
      }
      if (sent === 0) return;
      const results = (await writes.exec()) ?? [];
      for (const [err, reply] of results) {
        if (err) this.failed(err);
        else if (reply === 'OK') this.counts.written++;
        else this.counts.agentOwned++; // SET NX found a value written since the read
      }
      if (results.length < sent) this.failed('pipeline aborted', sent - results.length);
    } catch (err) {
      this.failed(err, batch.length);
    }
  }

  /** Counted always; logged when the reason changes, not on every poll of an outage. */
  private failed(cause: unknown, count = 1): void {
    this.counts.failed += count;
    const reason = redisErrorText(cause);
    if (reason === this.lastError) return;
    this.lastError = reason;
    this.log.warn({ err: reason.slice(0, 200) }, 'Zenith mirror: write failed');
  }
}
