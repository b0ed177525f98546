import { yieldToLoop } from '../../lib/loop-slice.js';
import type { Snapshot } from '../../monitor/monitor-service.js';
import type { EncodedApp, EncodedDocument, EncodedServer, SlicedWriter } from '../../monitor/snapshot-encoding.js';
import { documentParts, encodeApps, writeServers } from '../../monitor/snapshot-encoding.js';

/** What changed in one app between two snapshots. */
interface AppChange {
  app: string;
  /** The new AppSummary JSON, when it changed (or the app is new). */
  summary: string | undefined;
  servers: EncodedServer[];
  forgotten: string[];
}

/** A `system_pulse_delta` document: its apps are the changed ones, `forgottenApps` goes in its tail. */
export interface EncodedDelta {
  readonly document: EncodedDocument;
  readonly forgottenApps: readonly string[];
}

/** Servers compared between two yields. */
const COMPARE_SLICE = 2_000;

function writeChange(out: SlicedWriter, change: AppChange): void {
  out.ascii(`{"app":"${change.app}",`);
  if (change.summary !== undefined) out.ascii(`"summary":${change.summary},`);
  out.ascii('"servers":[');
  writeServers(out, change.servers);
  // Ids are key-safe: nothing to escape.
  out.ascii(`],"forgotten":[${change.forgotten.map((id) => `"${id}"`).join(',')}]}`);
}

function deltaTail(forgottenApps: readonly string[]): Buffer {
  return Buffer.from(`],"apps_forgotten":[${forgottenApps.map((app) => `"${app}"`).join(',')}]}`);
}

/**
 * The changes from `previous` to `next`: a server is sent when it is new, its heartbeat changed (a new record:
 * records are reused while the stored value stays the same) or its status changed; a server of `previous`
 * absent from `next` was forgotten; an app's summary is sent when its JSON changed. Apps and servers keep the
 * snapshot's name order, so a client that applies them in order keeps that order too.
 */
export async function encodeDelta(previous: Snapshot, next: Snapshot): Promise<EncodedDelta> {
  // The same apps (a tick that changed nothing, or a failed poll): no app to compare, an empty delta.
  if (previous.apps === next.apps) return emptyDelta(next);
  const before = new Map<string, EncodedApp>();
  for (const app of previous.apps) before.set(app.app, app);
  const changes: AppChange[] = [];
  let compared = 0;
  for (const app of next.apps) {
    const old = before.get(app.app);
    before.delete(app.app);
    // The snapshot reuses an app's object while nothing in it changed.
    if (old === app) continue;
    const oldServers = old?.servers ?? [];
    let o = 0;
    const change: AppChange = { app: app.app, summary: old?.summary === app.summary ? undefined : app.summary, servers: [], forgotten: [] };
    for (const server of app.servers) {
      if (++compared % COMPARE_SLICE === 0) await yieldToLoop();
      // Both lists are in id order (the registry's): old servers before this one are absent from `next`.
      const id = server.record.id;
      while (o < oldServers.length && (oldServers[o] as EncodedServer).record.id < id)
        change.forgotten.push((oldServers[o++] as EncodedServer).record.id);
      const was = oldServers[o]?.record.id === id ? oldServers[o++] : undefined;
      if (was === undefined || was.record !== server.record || was.status !== server.status) change.servers.push(server);
    }
    while (o < oldServers.length) change.forgotten.push((oldServers[o++] as EncodedServer).record.id);
    if (change.summary !== undefined || change.servers.length > 0 || change.forgotten.length > 0) changes.push(change);
  }
  const forgottenApps = [...before.keys()];
  const apps = await encodeApps(changes, writeChange);
  // The same head as the tick's system_pulse (its timestamp and redis_up): its buffer is shared, not built again.
  return { document: { head: next.document.head, apps, tail: deltaTail(forgottenApps) }, forgottenApps };
}

/** A delta that changes nothing, under `next`'s head: what comparing equal apps would encode. */
function emptyDelta(next: Snapshot): EncodedDelta {
  return { document: { head: next.document.head, apps: new Map(), tail: deltaTail([]) }, forgottenApps: [] };
}

/** The delta for some apps only (all when undefined), as buffers to write. */
export function deltaParts(delta: EncodedDelta, apps?: ReadonlySet<string>): Buffer[] {
  const parts = documentParts(delta.document, apps);
  if (apps !== undefined && delta.forgottenApps.length > 0)
    parts[parts.length - 1] = deltaTail(delta.forgottenApps.filter((app) => apps.has(app)));
  return parts;
}
