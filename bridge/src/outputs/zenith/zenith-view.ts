import { type PulseNode, QUASAR_NODE_STALE_MS } from '@gravito/pulse-protocol';
import type { Snapshot } from '../../monitor/monitor-service.js';
import type { QuasarReader } from '../../sources/quasar/reader.js';
import { serverNodeJson } from './server-node.js';

/** One node of the envelope: where it sorts, and its JSON text. */
interface EnvelopeNode {
  service: string;
  id: string;
  json: string;
}

/**
 * An agent's node as it wrote it: the very text read from Redis, unless it must change. A node stamped later than
 * its server's `last_seen` is served at `last_seen` (the bridge's rule for writers' clocks, as for GPP servers: a
 * node a year ahead is served at the time it was read), and a text with line breaks (pretty-printed JSON) is
 * written on one line, as an SSE `data:` line must be. Both are rare, so only they are parsed again.
 */
function agentJson(raw: string, timestamp: number, lastSeen: number): string {
  if (timestamp <= lastSeen && !raw.includes('\n') && !raw.includes('\r')) return raw;
  const node = JSON.parse(raw) as PulseNode;
  return JSON.stringify(timestamp > lastSeen ? { ...node, timestamp: lastSeen } : node);
}

/**
 * The snapshot as Zenith's PulseService would serve it: every process, GPP servers mapped to PulseNodes and
 * agents' nodes as they wrote them (timestamps from the future clamped); nodes whose heartbeat is 60 s old or
 * more, and stopped servers, left out; grouped by service, sorted by service then id.
 *
 * Encoded once per snapshot into one buffer, whatever the number of readers (the route and every stream client
 * send the same bytes), and put together from each node's JSON text: an agent's own (kept by the reader) or a GPP
 * server's mapped node (built once per heartbeat). So the envelope is never one JSON.stringify over megabytes of
 * agents' `meta`, which would hold the event loop and build the whole text again as one string.
 */
export class ZenithView {
  private cached: { snapshot: Snapshot; body: Buffer } | undefined;

  constructor(private readonly reader: QuasarReader | undefined) {}

  /** `{"nodes": {service: [PulseNode, …]}}` as JSON bytes. */
  body(snapshot: Snapshot): Buffer {
    if (this.cached?.snapshot !== snapshot) this.cached = { snapshot, body: this.encode(this.nodes(snapshot)) };
    return this.cached.body;
  }

  private nodes(snapshot: Snapshot): EnvelopeNode[] {
    const now = snapshot.event.timestamp;
    const nodes: EnvelopeNode[] = [];
    for (const app of snapshot.event.apps) {
      for (const server of app.servers) {
        // A stopped server said goodbye: it is gone now, not in 30 s as a silent one would be.
        if (server.status === 'stopped' || now - server.last_seen >= QUASAR_NODE_STALE_MS) continue;
        const agent = this.reader?.nodeOf(server.heartbeat);
        const raw = this.reader?.nodeJsonOf(server.heartbeat);
        if (agent && raw !== undefined) {
          nodes.push({ service: agent.service, id: agent.id, json: agentJson(raw, agent.timestamp, server.last_seen) });
        } else {
          // A GPP server's node is its app and id (heartbeatToPulseNode).
          nodes.push({ service: server.app, id: server.id, json: serverNodeJson(server) });
        }
      }
    }
    return nodes.sort((a, b) => a.service.localeCompare(b.service) || a.id.localeCompare(b.id));
  }

  /** The envelope's text, written piece by piece into one buffer (services as JSON object keys: a service called `__proto__` is just another group). */
  private encode(nodes: readonly EnvelopeNode[]): Buffer {
    const pieces: string[] = ['{"nodes":{'];
    let service: string | undefined;
    for (const node of nodes) {
      if (node.service !== service) {
        pieces.push(`${service === undefined ? '' : '],'}${JSON.stringify(node.service)}:[`);
        service = node.service;
      } else pieces.push(',');
      pieces.push(node.json);
    }
    pieces.push(service === undefined ? '}}' : ']}}');
    let bytes = 0;
    for (const piece of pieces) bytes += Buffer.byteLength(piece);
    const body = Buffer.allocUnsafe(bytes);
    let offset = 0;
    for (const piece of pieces) offset += body.write(piece, offset);
    return body;
  }
}
