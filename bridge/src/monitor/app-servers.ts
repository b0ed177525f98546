import type { PulseHeartbeat } from '@gravito/pulse-protocol';
import { addPressure, type HealthTotals, noPressure } from './health.js';
import type { ServerRecord } from './server-registry.js';
import type { EncodedServer } from './snapshot-encoding.js';

/** One app's servers counted as served at one tick: what its health is computed from, and when it may change. */
export interface AppTotals extends Omit<HealthTotals, 'slowPerMinute' | 'errorsPerMinute'> {
  /** The first moment a server's status may change with time alone (`EncodedServer.changesAt`). */
  until: number;
  /** Every server is the same object as in `before`, in the same place. */
  same: boolean;
}

/** One walk of an app's servers, in their order (each pressure is summed in it: the same sums whoever builds them). */
export function appTotals(servers: readonly EncodedServer[], before: readonly EncodedServer[] | undefined): AppTotals {
  let online = 0;
  let lost = 0;
  let stopped = 0;
  const pressure = noPressure();
  let until = Number.POSITIVE_INFINITY;
  let same = before !== undefined && before.length === servers.length;
  const troubled: PulseHeartbeat[] = [];
  for (let i = 0; i < servers.length; i++) {
    const server = servers[i] as EncodedServer;
    if (same && before?.[i] !== server) same = false;
    if (server.changesAt < until) until = server.changesAt;
    if (server.status === 'lost') lost++;
    else if (server.status === 'stopped') stopped++;
    else {
      online++;
      addPressure(pressure, server.record.pressure, server.record.heartbeat, troubled);
    }
  }
  return { online, lost, stopped, pressure, troubled, until, same };
}

/** Records grouped by app, each app's in the order given. */
export function recordsByApp(records: readonly ServerRecord[]): Map<string, ServerRecord[]> {
  const byApp = new Map<string, ServerRecord[]>();
  for (const record of records) {
    const list = byApp.get(record.app);
    if (list === undefined) byApp.set(record.app, [record]);
    else list.push(record);
  }
  return byApp;
}

/**
 * Where `record`'s server is in `servers` (sorted by id, as the registry keeps them): at its place in the last
 * build when the server there was read from the same key, else found by bisection.
 */
export function placeOf(servers: readonly EncodedServer[], record: ServerRecord): number | undefined {
  // The same key there is the same server (compared by key: a record's identity is a joined string, not yet flat).
  if (servers[record.place]?.record.key === record.key) return record.place;
  const { id } = record;
  let low = 0;
  let high = servers.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const at = (servers[middle] as EncodedServer).record.id;
    if (at === id) return middle;
    if (at < id) low = middle + 1;
    else high = middle - 1;
  }
  return undefined;
}

/** Counts servers looked at: says once per `slice` of them that the loop is due to be given back. */
export class Pace {
  private looked = 0;

  constructor(private readonly slice: number) {}

  counts(servers: number): boolean {
    const slices = Math.floor(this.looked / this.slice);
    this.looked += servers;
    return Math.floor(this.looked / this.slice) > slices;
  }
}
