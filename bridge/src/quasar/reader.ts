import {
  MAX_PULSE_NODE_BYTES,
  MIRROR_MARK_JSON,
  type PulseHeartbeat,
  type PulseNode,
  parsePulseNode,
  pulseNodeToHeartbeat,
  QUASAR_NODE_SCAN_PATTERN,
  toSafeKeyPart,
} from '@gravito/pulse-protocol';
import type { Clock } from '../monitor/clock.js';
import type { InvalidValues } from '../monitor/invalid-values.js';
import { createRecord, type ServerRecord } from '../monitor/server-registry.js';
import { boundedGetChunk, CHUNKS_IN_FLIGHT, unreadReason } from '../redis/bounded-get.js';
import type { RedisHandle } from '../redis/connection.js';
import { MGET_CHUNK, mapLimited, scanEach, yieldToLoop } from '../redis/read.js';

/** Nodes parsed between two yields to the event loop (SSE writes and /metrics go on meanwhile). */
const PARSE_SLICE = 250;
/** Most Quasar nodes read per poll (memory bound); the scan stops there and says so. */
export const DEFAULT_MAX_QUASAR_NODES = 10_000;

export interface QuasarReadCounts {
  /** Agents' nodes in the last poll's snapshot. */
  nodes: number;
  /** Nodes a Pulse bridge mirrored (skipped: they are already read from `pulse:server:*`). */
  ownMirrors: number;
  /** Reads that stopped at the node cap. */
  truncatedScans: number;
  /** Nodes left out of the last poll because a server of the same app and id was already there. */
  duplicates: number;
}

/**
 * Reads the nodes Zenith's agents (Quasar for Node and Bun, the Laravel agent) write to
 * `gravito:quasar:node:*`, as Zenith itself does (SCAN + MGET), and turns each into a GPP heartbeat record
 * (`pulseNodeToHeartbeat`), so that they join the same snapshot as `pulse:server:*` servers.
 *
 * - A node a Pulse bridge mirrored is recognised by its mark and skipped before parsing: never counted twice.
 * - An invalid node is skipped, counted as an invalid heartbeat, and logged once while its value stays the same.
 * - An unchanged value keeps its record, so the registry and the snapshot reuse their work.
 * - The original node stays reachable from its heartbeat (`nodeOf`), for its queues and the Zenith routes.
 */
export class QuasarReader {
  readonly counts: QuasarReadCounts = { nodes: 0, ownMirrors: 0, truncatedScans: 0, duplicates: 0 };
  private records = new Map<string, ServerRecord>();
  private invalidSeen = new Map<string, string>();
  private readonly nodes = new WeakMap<PulseHeartbeat, PulseNode>();

  constructor(private readonly maxNodes = DEFAULT_MAX_QUASAR_NODES) {}

  /** The agent's node a heartbeat was mapped from; `undefined` for a GPP heartbeat. */
  nodeOf(heartbeat: PulseHeartbeat): PulseNode | undefined {
    return this.nodes.get(heartbeat);
  }

  /**
   * Adds one read's records to a poll's `pulse:server:*` records. Two records of the same app and id would be
   * one Prometheus series twice (a scrape Prometheus rejects), e.g. a process that runs both a Pulse SDK and a
   * Quasar agent: the `pulse:server:*` one is kept, as is the first of two agents' names that escape alike.
   */
  mergeInto(found: Map<string, ServerRecord>, agents: Map<string, ServerRecord>): void {
    let duplicates = 0;
    if (agents.size > 0) {
      const taken = new Set<string>();
      for (const record of found.values()) taken.add(`${record.app}\u0000${record.id}`);
      for (const [key, record] of agents) {
        const server = `${record.app}\u0000${record.id}`;
        if (taken.has(server)) {
          duplicates++;
          continue;
        }
        taken.add(server);
        found.set(key, record);
      }
    }
    this.counts.duplicates = duplicates;
    this.counts.nodes = agents.size - duplicates;
  }

  /** One read of every agent node, by key; invalid ones go to `invalid`. Throws when Redis fails (the poll then counts Redis as down). */
  async read(redis: RedisHandle, invalid: InvalidValues, clock: Clock): Promise<Map<string, ServerRecord>> {
    const keys: string[] = [];
    const scan = await scanEach(redis, QUASAR_NODE_SCAN_PATTERN, this.maxNodes, (key) => keys.push(key));
    if (scan.truncated) this.counts.truncatedScans++;
    const chunks: string[][] = [];
    for (let i = 0; i < keys.length; i += MGET_CHUNK) chunks.push(keys.slice(i, i + MGET_CHUNK));
    // Sizes and types are checked inside Redis before a value is read, as for pulse:server:* (bounded-get.ts).
    const values = (await mapLimited(chunks, CHUNKS_IN_FLIGHT, (chunk) => boundedGetChunk(redis, chunk, MAX_PULSE_NODE_BYTES))).flat();
    const found = new Map<string, ServerRecord>();
    const invalidNext = new Map<string, string>();
    let ownMirrors = 0;
    for (let i = 0; i < keys.length; i++) {
      if (i % PARSE_SLICE === PARSE_SLICE - 1) await yieldToLoop();
      const key = keys[i] as string;
      const raw = values[i];
      if (raw === null || raw === undefined) continue; // expired between SCAN and MGET
      if (typeof raw !== 'string') {
        const reason = unreadReason(raw, MAX_PULSE_NODE_BYTES);
        invalidNext.set(key, reason);
        if (this.invalidSeen.get(key) !== reason) invalid.report('heartbeat', key, reason);
        continue;
      }
      const known = this.records.get(key);
      if (known && known.raw === raw) {
        known.gone = false;
        found.set(key, known);
        continue;
      }
      // The mirror's own nodes carry its mark; they are skipped without being parsed.
      if (raw.includes(MIRROR_MARK_JSON)) {
        ownMirrors++;
        continue;
      }
      // The same invalid value as last poll: skipped without parsing it again (it was reported then).
      if (this.invalidSeen.get(key) === raw) {
        invalidNext.set(key, raw);
        continue;
      }
      const parsed = parsePulseNode(raw);
      if (!parsed.ok) {
        invalidNext.set(key, raw);
        invalid.report('heartbeat', key, parsed.error);
        continue;
      }
      const heartbeat = pulseNodeToHeartbeat(parsed.value);
      this.nodes.set(heartbeat, parsed.value);
      const app = toSafeKeyPart(parsed.value.service);
      const lastSeen = clock.clamp('heartbeat', app, heartbeat.timestamp);
      found.set(key, createRecord(key, app, toSafeKeyPart(parsed.value.id), heartbeat, lastSeen, JSON.stringify(heartbeat), raw));
    }
    this.records = found;
    this.invalidSeen = invalidNext;
    this.counts.ownMirrors = ownMirrors;
    return found;
  }
}
