import { MAX_HEARTBEAT_BYTES, parseHeartbeat, parseHeartbeatKey } from '@gravito/pulse-protocol';
import type { InvalidValues } from '../lib/invalid-values.js';
import { SlicedParser } from '../lib/sliced-parser.js';
import { type BoundedValue, unreadReason } from '../redis/bounded-get.js';
import type { HeartbeatSource } from '../sources/heartbeats/heartbeat-source.js';
import type { Caps } from './caps.js';
import type { Clock } from './clock.js';
import { createRecord, heartbeatIdentity, type ServerRecord, type ServerRegistry } from './server-registry.js';

/** Tells a changed value from the same one without hashing megabytes: its length and its ends. */
function valueFingerprint(raw: string): string {
  return raw.length <= 2_048 ? raw : `${raw.length}:${raw.slice(0, 1_024)}${raw.slice(-1_024)}`;
}

export interface HeartbeatViewOptions {
  /** Most heartbeat keys read per poll: what the source stops at, and the most changes kept for the registry. */
  maxServers: number;
}

/**
 * The valid `pulse:server:*` heartbeats as records, by server identity: what HeartbeatSource reads (every key, or
 * only the keys changed since the last read, applied in place) validated into records, in slices that give the
 * event loop back. An unchanged value keeps its record; an invalid one is skipped, counted and logged when it
 * first shows or changes, not again at every poll while it sits in Redis.
 */
export class HeartbeatView {
  /** The valid heartbeats as of the last read, by server identity: a read of changes only is applied to it. */
  private records = new Map<string, ServerRecord>();
  /**
   * Counts the reads that changed the records: a read of changes applies them in place rather than to a copy of
   * every server's entry (a copy of 10,000 cost 2–5 ms a poll), so this, not the map, tells a changed view.
   */
  private readVersion = 0;
  /** Invalid heartbeat keys of the last read → a fingerprint of their value (reported once while it stays the same). */
  private invalidSeen = new Map<string, string>();
  private invalidNext = new Map<string, string>();
  /**
   * Identities whose record may have changed since the registry last took them, some perhaps twice (a list: no set
   * built per read); undefined: any (`takeChanged`).
   */
  private unapplied: string[] | undefined;

  constructor(
    private readonly source: HeartbeatSource,
    /** Where a server's current record is found, to reuse it for an unchanged value. */
    private readonly registry: ServerRegistry,
    private readonly invalid: InvalidValues,
    private readonly clock: Clock,
    private readonly caps: Caps,
    private readonly options: HeartbeatViewOptions,
  ) {}

  /** Changes with every read that changed a record. */
  get version(): number {
    return this.readVersion;
  }

  /**
   * The valid heartbeats by server identity (`app:id`, see `serverIdentity`), read again. Once `signal` aborts,
   * nothing further is read, and the next read covers every key (this one's changes may be applied in part).
   */
  async read(signal?: AbortSignal): Promise<Map<string, ServerRecord>> {
    let found = this.records;
    // Changes only: the servers this read may have changed, for the registry (`takeChanged`).
    let touched: string[] | undefined;
    const parser = new SlicedParser<BoundedValue>((key, raw) => {
      const identity = heartbeatIdentity(key);
      touched?.push(identity);
      this.parseValue(key, identity, raw, found);
    });
    try {
      const { truncated } = await this.source.read(
        {
          begin: (everyKey) => {
            found = everyKey ? new Map() : this.records;
            touched = everyKey ? undefined : [];
            this.invalidNext = everyKey ? new Map() : new Map(this.invalidSeen);
          },
          values: (keys, values) => parser.add(keys, values),
          malformed: (key) => this.reportInvalid(key, 'key', 'not a pulse:server:{app}:{id} key with safe parts'),
        },
        signal,
      );
      if (truncated) this.caps.reached('heartbeat_keys', 1, { maxServers: this.options.maxServers });
      await parser.done();
      signal?.throwIfAborted();
    } catch (err) {
      // Changes taken from Redis's feed may be applied in part, or not at all: what the view holds is unknown.
      this.source.readEveryKeyNext();
      throw err;
    }
    this.invalidSeen = this.invalidNext;
    if (found !== this.records || (touched?.length ?? 0) > 0) this.readVersion++;
    this.records = found;
    if (touched === undefined) this.unapplied = undefined;
    // Usually none is left from before (the registry took them): this read's list as it is, not copied in.
    else if (this.unapplied?.length === 0) this.unapplied = touched;
    // Reads whose changes no update took (failed polls) add up: past as many as the most servers read, the
    // registry looks at every server instead.
    else if (this.unapplied !== undefined)
      this.unapplied = this.unapplied.length + touched.length > this.options.maxServers ? undefined : this.unapplied.concat(touched);
    return found;
  }

  /**
   * The identities the reads touched since the last call (undefined after a read of every key: any). Taken: the next
   * call starts afresh.
   */
  takeChanged(): string[] | undefined {
    const changed = this.unapplied;
    this.unapplied = [];
    return changed;
  }

  private reportInvalid(key: string, fingerprint: string, reason: string): void {
    this.invalidNext.set(key, fingerprint);
    if (this.invalidSeen.get(key) === fingerprint) return;
    this.invalid.report('heartbeat', key, reason);
  }

  /** One fetched value into `into`: its record, reused when unchanged, else validated anew; none when gone or invalid. */
  private parseValue(key: string, identity: string, raw: BoundedValue | undefined, into: Map<string, ServerRecord>): void {
    // What this key said before (a read of changes starts from the last view) is replaced by what it says now.
    const record = this.recordOf(key, identity, raw);
    if (record === undefined) into.delete(identity);
    else into.set(identity, record);
  }

  /** The record a fetched value makes: undefined when it is gone, or invalid (then skipped and reported). */
  private recordOf(key: string, identity: string, raw: BoundedValue | undefined): ServerRecord | undefined {
    this.invalidNext.delete(key);
    if (raw === null || raw === undefined) return undefined; // gone (deleted, expired, evicted; or between SCAN and GET)
    if (typeof raw !== 'string') {
      // Only the length or type was read: reported when it first shows (or changes), then skipped unread.
      const reason = unreadReason(raw, MAX_HEARTBEAT_BYTES);
      this.reportInvalid(key, reason, reason);
      return undefined;
    }
    // The server's record, whichever source it came from; reused only when it is this key's and its value is the same.
    const known = this.registry.get(identity);
    if (known && known.key === key && known.raw === raw) {
      known.gone = false;
      return known;
    }
    // Hashed only for a key whose value was invalid last time (rare): a valid value is parsed at once.
    const invalidBefore = this.invalidSeen.get(key);
    const fingerprint = invalidBefore === undefined ? undefined : valueFingerprint(raw);
    if (fingerprint !== undefined && fingerprint === invalidBefore) {
      // The same invalid value as last time: skipped without parsing it again, and not counted again.
      this.invalidNext.set(key, fingerprint);
      return undefined;
    }
    const parsed = parseHeartbeat(raw);
    if (!parsed.ok) {
      this.reportInvalid(key, fingerprint ?? valueFingerprint(raw), parsed.error);
      return undefined;
    }
    // A known record has this server's identity: its parts are the key's.
    const parts = known ?? (parseHeartbeatKey(key) as { app: string; id: string });
    // The validated raw text is served as is (a closed schema, so it says exactly what the parsed value says),
    // unless it holds a line break, which would split an SSE `data:` line.
    const json = raw.includes('\n') || raw.includes('\r') ? JSON.stringify(parsed.value) : raw;
    const lastSeen = this.clock.clamp('heartbeat', parts.app, parsed.value.timestamp);
    const record = createRecord(key, parts.app, parts.id, parsed.value, lastSeen, json, raw);
    if (known) record.place = known.place;
    return record;
  }
}
