import { type PulseNode, QUASAR_NODE_STALE_MS } from '@gravito/pulse-protocol';
import type { Snapshot } from '../monitor/monitor-service.js';
import type { QuasarReader } from './reader.js';
import { serverNode } from './server-node.js';

/** Zenith's envelope, as its `GET /api/pulse/nodes` and its SSE `pulse` event carry it. */
export interface ZenithNodes {
  nodes: Record<string, PulseNode[]>;
}

/**
 * The snapshot as Zenith's PulseService would serve it: every process, GPP servers mapped to PulseNodes and
 * agents' nodes as they wrote them; nodes whose heartbeat is 60 s old or more, and stopped servers, left out; grouped by service,
 * sorted by service then id. Built once per snapshot, whatever the number of clients.
 */
export class ZenithView {
  private cached: { snapshot: Snapshot; json: string } | undefined;

  constructor(private readonly reader: QuasarReader | undefined) {}

  json(snapshot: Snapshot): string {
    if (this.cached?.snapshot !== snapshot) this.cached = { snapshot, json: JSON.stringify(this.build(snapshot)) };
    return this.cached.json;
  }

  build(snapshot: Snapshot): ZenithNodes {
    const now = snapshot.event.timestamp;
    const nodes: PulseNode[] = [];
    for (const app of snapshot.event.apps) {
      for (const server of app.servers) {
        // A stopped server said goodbye: it is gone now, not in 30 s as a silent one would be.
        if (server.status === 'stopped' || now - server.last_seen >= QUASAR_NODE_STALE_MS) continue;
        nodes.push(this.reader?.nodeOf(server.heartbeat) ?? serverNode(server));
      }
    }
    nodes.sort((a, b) => a.service.localeCompare(b.service) || a.id.localeCompare(b.id));
    // A null-prototype object: a service called "__proto__" is just another group.
    const grouped: Record<string, PulseNode[]> = Object.create(null);
    for (const node of nodes) {
      const group = grouped[node.service];
      if (group) group.push(node);
      else grouped[node.service] = [node];
    }
    return { nodes: grouped };
  }
}
