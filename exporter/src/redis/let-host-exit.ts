import { Cluster, type Redis } from 'ioredis';

/** ioredis keeps its pending reconnect in a field it does not declare. */
type Reconnecting = { reconnectTimeout?: { unref?: () => void } | null };

/**
 * Lets the host process end when its own work does, as Node's `http.Agent` does with its idle keep-alive sockets: a
 * script, cron job or CLI started with the register entry would otherwise never exit, since the connection Pulse
 * opened keeps the event loop alive, and its `beforeExit` (Pulse's last flush) never comes.
 *
 * Each socket is unref'd once connected, and each wait before a reconnect is unref'd too (Redis away). A command in
 * flight still holds the process until it is answered or its `commandTimeout` passes, since that timer is ref'd:
 * the last flush is written, then the process ends. For clients Pulse created only: a user's client is theirs.
 */
export function letHostExit(client: Redis | Cluster): void {
  // Emitted on the tick after the wait is set.
  client.on('reconnecting', () => (client as unknown as Reconnecting).reconnectTimeout?.unref?.());
  if (client instanceof Cluster) {
    // A cluster's node connections are clients of their own, made as the cluster finds its masters.
    client.on('+node', (node: Redis) => letHostExit(node));
    return;
  }
  client.on('connect', () => client.stream?.unref?.());
}
