import { heartbeatToPulseNode, type PulseHeartbeat, type PulseNode } from '@gravito/pulse-protocol';

interface Mapped {
  node: PulseNode;
  json: string | undefined;
}

/**
 * A GPP server's PulseNode, mapped once per heartbeat. The registry keeps an unchanged server's record, and so
 * its heartbeat object, from poll to poll: the mirror and the Zenith view map a server again only when its
 * heartbeat changed, not on every poll. Keyed weakly, so a forgotten heartbeat takes its node with it.
 */
const mapped = new WeakMap<PulseHeartbeat, Mapped>();

function entry(server: { app: string; id: string; heartbeat: PulseHeartbeat }): Mapped {
  let known = mapped.get(server.heartbeat);
  if (!known) {
    known = { node: heartbeatToPulseNode(server.heartbeat, server), json: undefined };
    mapped.set(server.heartbeat, known);
  }
  return known;
}

export function serverNode(server: { app: string; id: string; heartbeat: PulseHeartbeat }): PulseNode {
  return entry(server).node;
}

/** The node as the mirror writes it. */
export function serverNodeJson(server: { app: string; id: string; heartbeat: PulseHeartbeat }): string {
  const known = entry(server);
  known.json ??= JSON.stringify(known.node);
  return known.json;
}
