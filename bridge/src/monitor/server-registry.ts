import { HEARTBEAT_SCAN_PATTERN, type PulseHeartbeat, type ServerStatus } from '@gravito/pulse-protocol';
import { pressureOf, type ServerPressure } from './health.js';
import type { EncodedServer } from './snapshot-encoding.js';

/**
 * A server's identity: its app and server id, the `app` and `server` labels of its series and the `app` and
 * `id` of its ServerSnapshot. One server has one identity whichever key it was read from (a `pulse:server:*`
 * heartbeat, a Zenith agent's `gravito:quasar:node:*` node) and however its names were escaped into key parts
 * (`a:b` and `a_b` are one server). Key parts never hold `:`, so `app:id` names exactly one pair.
 */
export const serverIdentity = (app: string, id: string): string => `${app}:${id}`;

/** `pulse:server:` */
const HEARTBEAT_KEY_PREFIX_LENGTH = HEARTBEAT_SCAN_PATTERN.length - 1;

/** A well-formed heartbeat key's identity without parsing it again: the key is `pulse:server:` + `app:id`. */
export const heartbeatIdentity = (key: string): string => key.slice(HEARTBEAT_KEY_PREFIX_LENGTH);

export interface ServerRecord {
  /** The Redis key it was read from. */
  key: string;
  app: string;
  id: string;
  /** `serverIdentity(app, id)`: what the registry knows it by. */
  identity: string;
  heartbeat: PulseHeartbeat;
  /**
   * When the server was last heard from, on the bridge's clock: the heartbeat's `timestamp`, but never later
   * than the moment the bridge first read this value (see Clock), so a heartbeat stamped in the future is lost
   * one lost-after after it stopped changing, like any other.
   */
  lastSeen: number;
  /**
   * The heartbeat's JSON, one line, and its length in UTF-8 (the unit of the document's size and app ranges). Its
   * ServerSnapshot JSON is the text before the heartbeat (`servedAs`, built once per heartbeat and status), this,
   * and `}`: written into each tick's document as they are. No buffer per server (10,000 small buffers a tick cost
   * more in allocation and GC than writing the strings does), and `json` is not joined to the rest: a joined
   * string is stored as a pair that must be flattened, a copy, the first time it is written (bench/bridge-tick.ts).
   */
  json: string;
  jsonBytes: number;
  /** Its share of its app's health while online, computed once, as it is read. */
  pressure: ServerPressure;
  /** The raw value it came from, to skip re-parsing an unchanged heartbeat. */
  raw: string;
  /** The server was not found by the last poll (its key expired or was deleted). */
  gone: boolean;
  /**
   * How it was last served (`servedAs`): reused by every tick while its status stays the same, so that a tick
   * builds objects and text only for the servers that changed.
   */
  served: EncodedServer | undefined;
  /**
   * Where the last snapshot built lists this server among its app's (-1: not known), carried over from the record
   * it replaces: a hint for the next build, which checks it before use (`placeOf`).
   */
  place: number;
}

/** `json` is the heartbeat's JSON (one line); `lastSeen` its time on the bridge's clock. */
export function createRecord(
  key: string,
  app: string,
  id: string,
  heartbeat: PulseHeartbeat,
  lastSeen: number,
  json: string,
  raw: string,
): ServerRecord {
  const identity = serverIdentity(app, id);
  return {
    key,
    app,
    id,
    identity,
    heartbeat,
    lastSeen,
    raw,
    pressure: pressureOf(heartbeat),
    gone: false,
    json,
    jsonBytes: Buffer.byteLength(json),
    served: undefined,
    place: -1,
  };
}

export interface RegistryOptions {
  lostAfterMs: number;
  forgetAfterMs: number;
  /** Most lost servers remembered; past it the longest-lost are forgotten first. */
  maxRemembered: number;
}

/**
 * Every server the bridge knows: the ones whose key is there, and lost ones remembered after their key expired,
 * until `forgetAfterMs` after their last heartbeat (Laravel Pulse's "ignore-after"). Keyed by server identity,
 * not by Redis key: a server read again from another key (its Zenith agent's node, then its Pulse heartbeat; a
 * name escaped alike) replaces its record, lost or not, rather than standing beside it as a second series with
 * the same labels. In a Map, so that an app called `__proto__` is just another name.
 */
export class ServerRegistry {
  /** Kept in (app, id) order, so that grouping needs no sort while the set of servers stays the same. */
  private servers = new Map<string, ServerRecord>();
  /** The identities of the servers kept while their key is gone (`gone`). */
  private readonly gone = new Set<string>();

  constructor(private readonly options: RegistryOptions) {}

  get(identity: string): ServerRecord | undefined {
    return this.servers.get(identity);
  }

  /**
   * Past this moment a server is lost: its last heartbeat plus its lost-after, 3 × its own `meta.interval_ms` when
   * it says, else the configured one.
   */
  private lostAt(record: ServerRecord): number {
    const { interval_ms } = record.heartbeat.meta;
    return record.lastSeen + (interval_ms ? 3 * interval_ms : this.options.lostAfterMs);
  }

  /** Past this moment a server whose key is gone is forgotten. */
  private forgottenAt(record: ServerRecord): number {
    return record.lastSeen + this.options.forgetAfterMs;
  }

  /** Stopped when its last heartbeat says so (a graceful shutdown), whatever its age: silence after it is expected. */
  status(record: ServerRecord, now: number): ServerStatus {
    if (record.heartbeat.state === 'stopped') return 'stopped';
    if (record.gone) return 'lost';
    return now > this.lostAt(record) ? 'lost' : 'online';
  }

  /** When a server's `status` may change with time alone: online goes lost, a lost one whose key is gone is forgotten. */
  statusChangesAt(record: ServerRecord, status: ServerStatus): number {
    if (status === 'online') return this.lostAt(record);
    if (status === 'lost' && record.gone) return this.forgottenAt(record);
    return Number.POSITIVE_INFINITY;
  }

  /**
   * Replaces the known set with one poll's results, by identity; servers the poll did not find are kept as
   * `gone` until forgotten. A stopped server is forgotten as soon as its key is gone: it said goodbye, there is
   * nothing to watch for. With `changed`, the identities whose record may differ from the last update's (some perhaps listed
   * twice; the others are known to be as they were): only those are looked at, and the servers already gone, rather than
   * every server. `membersChanged`: a server was added or forgotten (else every server known before still is, in
   * its place); `applied`, with `changed`: the records of those servers, as they now are.
   */
  update(
    found: Map<string, ServerRecord>,
    now: number,
    changed?: readonly string[],
  ): { forgotten: number; membersChanged: boolean; applied: ServerRecord[] | undefined } {
    let forgotten = 0;
    let added = 0;
    let applied: ServerRecord[] | undefined;
    const forget = (identity: string) => {
      this.servers.delete(identity);
      this.gone.delete(identity);
      forgotten++;
    };
    const missing = (record: ServerRecord, identity: string) => {
      record.gone = true;
      if (record.heartbeat.state === 'stopped' || now > this.forgottenAt(record)) forget(identity);
      else this.gone.add(identity);
    };
    const present = (record: ServerRecord, identity: string) => {
      // One lookup, not a get and a set: a key new to the map is told by its size.
      const size = this.servers.size;
      this.servers.set(identity, record);
      if (this.servers.size > size) added++;
      this.gone.delete(identity);
    };
    if (changed === undefined) {
      // forEach rather than for…of: no [key, value] pair is allocated per server, every tick.
      this.servers.forEach((record, identity) => {
        if (!found.has(identity)) missing(record, identity);
      });
      found.forEach(present);
    } else {
      applied = [];
      for (const identity of changed) {
        const record = found.get(identity);
        if (record !== undefined) {
          present(record, identity);
          applied.push(record);
          continue;
        }
        const known = this.servers.get(identity);
        if (known !== undefined && !this.gone.has(identity)) {
          // Forgotten, it is pushed all the same: then members changed, and `applied` says nothing.
          missing(known, identity);
          applied.push(known);
        }
      }
      // Servers gone before: forgotten once their time is up.
      for (const identity of this.gone) {
        const record = this.servers.get(identity) as ServerRecord;
        if (now > this.forgottenAt(record)) forget(identity);
      }
    }
    if (this.gone.size > this.options.maxRemembered) {
      const remembered = [...this.gone].map((identity) => this.servers.get(identity) as ServerRecord);
      remembered.sort((a, b) => a.lastSeen - b.lastSeen);
      for (const record of remembered.slice(0, remembered.length - this.options.maxRemembered)) forget(record.identity);
    }
    const membersChanged = added > 0 || forgotten > 0;
    if (membersChanged) {
      this.servers = new Map(
        [...this.servers.entries()].sort(([, a], [, b]) =>
          a.app < b.app ? -1 : a.app > b.app ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
        ),
      );
    }
    return { forgotten, membersChanged, applied };
  }

  /** Every app with at least one known server. */
  apps(): Set<string> {
    const apps = new Set<string>();
    // Servers are in app order: one lookup per app rather than per server.
    let last: string | undefined;
    for (const record of this.servers.values()) {
      if (record.app === last) continue;
      last = record.app;
      apps.add(last);
    }
    return apps;
  }

  /** Servers grouped by app, apps and servers in name order. */
  byApp(): Map<string, ServerRecord[]> {
    const apps = new Map<string, ServerRecord[]>();
    let last: string | undefined;
    let list: ServerRecord[] = [];
    for (const record of this.servers.values()) {
      if (record.app !== last) {
        // Servers are in app order, so this is one lookup per app; the lookup keeps it right if they were not.
        last = record.app;
        let existing = apps.get(last);
        if (!existing) {
          existing = [];
          apps.set(last, existing);
        }
        list = existing;
      }
      list.push(record);
    }
    return apps;
  }

  get size(): number {
    return this.servers.size;
  }
}
