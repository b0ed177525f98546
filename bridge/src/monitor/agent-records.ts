import type { AgentHeartbeat } from '../sources/quasar/reader.js';
import type { Clock } from './clock.js';
import { createRecord, type ServerRecord } from './server-registry.js';

/** Zenith's agents in the last poll's snapshot. */
export interface AgentCounts {
  /** Agents' nodes in the snapshot. */
  nodes: number;
  /** Nodes left out because a server of the same app and id was already there. */
  duplicates: number;
}

/**
 * Zenith's agents (QuasarReader's heartbeats) as server records, and added to a poll's `pulse:server:*` ones. An
 * agent's record is made once per AgentHeartbeat, which the reader keeps while the node's text stays the same: an
 * unchanged agent is the same record from poll to poll, as an unchanged heartbeat is, so the registry and the
 * snapshot reuse their work.
 */
export class AgentRecords {
  readonly counts: AgentCounts = { nodes: 0, duplicates: 0 };
  private readonly recordOf = new WeakMap<AgentHeartbeat, ServerRecord>();
  /** The last poll's read and its records. */
  private last: { read: ReadonlyMap<string, AgentHeartbeat>; records: Map<string, ServerRecord> } | undefined;

  constructor(private readonly clock: Clock) {}

  /** One poll's agents as records, by key: the same map as the last poll's while the read gave the same map. */
  of(read: ReadonlyMap<string, AgentHeartbeat>): Map<string, ServerRecord> {
    if (this.last?.read === read) return this.last.records;
    const records = new Map<string, ServerRecord>();
    for (const [key, agent] of read) {
      let record = this.recordOf.get(agent);
      if (record === undefined) {
        const lastSeen = this.clock.clamp('heartbeat', agent.app, agent.heartbeat.timestamp);
        record = createRecord(agent.key, agent.app, agent.id, agent.heartbeat, lastSeen, agent.json, agent.raw);
        this.recordOf.set(agent, record);
      } else record.gone = false;
      records.set(key, record);
    }
    this.last = { read, records };
    return records;
  }

  /**
   * Adds one poll's agents to its `pulse:server:*` records, which are keyed by server identity (`serverIdentity`).
   * Two records of the same app and id would be one Prometheus series twice (a scrape Prometheus rejects), e.g. a
   * process that runs both a Pulse SDK and a Quasar agent: the `pulse:server:*` one is kept, as is the first of
   * two agents' names that escape alike.
   */
  mergeInto(found: Map<string, ServerRecord>, agents: Map<string, ServerRecord>): void {
    let duplicates = 0;
    for (const record of agents.values()) {
      if (found.has(record.identity)) duplicates++;
      else found.set(record.identity, record);
    }
    this.counts.duplicates = duplicates;
    this.counts.nodes = agents.size - duplicates;
  }
}
