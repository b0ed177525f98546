import { heartbeatToPulseNode, type PulseHeartbeat, type PulseNode } from '@gravito/pulse-protocol';

/** What a node is mapped from: a snapshot's server, whose `last_seen` is its heartbeat time on the bridge's clock. */
export interface MappedServer {
  app: string;
  id: string;
  last_seen: number;
  heartbeat: PulseHeartbeat;
}

interface Mapped {
  node: PulseNode;
  json: string | undefined;
}

/**
 * A GPP server's PulseNode, mapped once per heartbeat. The registry keeps an unchanged server's record, and so
 * its heartbeat object and its `last_seen`, from poll to poll: the mirror and the Zenith view map a server again
 * only when its heartbeat changed, not on every poll. Keyed weakly, so a forgotten heartbeat takes its node with it.
 */
const mapped = new WeakMap<PulseHeartbeat, Mapped>();

function entry(server: MappedServer): Mapped {
  let known = mapped.get(server.heartbeat);
  if (!known) {
    // The node's time is the server's `last_seen`: the bridge's one rule for writers' clocks (no time later than
    // when the bridge read it), so a heartbeat stamped a year ahead reaches Zenith at the time it was read.
    known = { node: { ...heartbeatToPulseNode(server.heartbeat, server), timestamp: server.last_seen }, json: undefined };
    mapped.set(server.heartbeat, known);
  }
  return known;
}

export function serverNode(server: MappedServer): PulseNode {
  return entry(server).node;
}

/** The node as the mirror writes it. */
export function serverNodeJson(server: MappedServer): string {
  const known = entry(server);
  known.json ??= JSON.stringify(known.node);
  return known.json;
}
