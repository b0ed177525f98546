import type { ServerSnapshot, ServerStatus, SystemPulseEvent } from '@gravito/pulse-protocol';
import { LoopSlice } from '../lib/loop-slice.js';
import type { ServerRecord } from './server-registry.js';

/**
 * One server as served with one status: its record, the status, its ServerSnapshot and the text of its JSON
 * before the heartbeat. Built once per heartbeat and status (`servedAs`), and the same object every tick after:
 * a tick builds these only for the servers that changed, and a delta tells an unchanged server by identity.
 */
export interface EncodedServer {
  readonly record: ServerRecord;
  readonly status: ServerStatus;
  readonly snapshot: ServerSnapshot;
  /**
   * `},` and its JSON up to the heartbeat: what follows the server before it in an array (that server's closing
   * brace first). The first server of an array is written from its third character.
   */
  readonly following: string;
  /**
   * When this status may change with time alone (online goes lost, a lost server whose key is gone is forgotten):
   * until then a tick that read no change of this server serves it as it is, without looking at it.
   */
  readonly changesAt: number;
}

/**
 * The server served with `status` until `changesAt`: the object served last when both are the same, else a new
 * one.
 */
export function servedAs(record: ServerRecord, status: ServerStatus, changesAt: number): EncodedServer {
  const last = record.served;
  if (last?.status === status && last.changesAt === changesAt) return last;
  const { app, id, lastSeen } = record;
  const snapshot: ServerSnapshot = { app, id, status, last_seen: lastSeen, heartbeat: record.heartbeat };
  // app and id are key-safe ([A-Za-z0-9._-]): nothing to escape, and one byte per character. Joined rather than a
  // template: a template makes a tree of pieces, which the write into the document flattens first, at a cost per
  // changed server about as high as the write (and the tree's nodes outlive the tick, for the GC to copy).
  const following = ['},{"app":"', app, '","id":"', id, '","status":"', status, '","last_seen":', lastSeen, ',"heartbeat":'].join('');
  record.served = { record, status, snapshot, following, changesAt };
  return record.served;
}

/** One app as served at one tick. */
export interface EncodedApp {
  readonly app: string;
  /** Its AppSummary JSON (`{"health":…,"errors_per_minute":…}`): compared between ticks to tell a changed app. */
  readonly summary: string;
  readonly servers: readonly EncodedServer[];
}

/**
 * A JSON document whose `apps` array is encoded once, as bytes, so that every reader of the same tick (SSE
 * clients, the JSON API) is sent the same memory: `head`, the apps' objects joined by commas, and `tail` is the
 * document; the document for some apps only joins theirs.
 *
 * Each app's object is a buffer of its own, not a range of one buffer for the whole document: an app that did not
 * change is the same buffer as in the last document (nothing copied), and a tick never asks the allocator for the
 * whole document at once. A buffer that large (megabytes) is mapped fresh from the kernel and faulted in page by
 * page as it is written, which cost as much as the write itself; an app's (tens of kilobytes) comes from memory
 * the process already holds.
 */
export interface EncodedDocument {
  /** Up to and including the `[` of the apps array. */
  readonly head: Buffer;
  /** Each app's object, in the document's order. */
  readonly apps: ReadonlyMap<string, Buffer>;
  /** From the `]` that closes the apps array to the end. */
  readonly tail: Buffer;
}

const COMMA = Buffer.from(',');
const CLOSE_APPS = Buffer.from(']}');

/** Pieces written between two looks at the clock. */
const COPY_CLOCK_EVERY = 256;
/** Apps listed between two looks at the clock. */
const APP_CLOCK_EVERY = 16;
/** Longest run of encoding before the event loop is given back. */
const ENCODE_BUDGET_MS = 2;

/**
 * Writes strings (and bytes already encoded) into buffers, one per segment (`cut`), giving the event loop back
 * every `ENCODE_BUDGET_MS`.
 */
export class SlicedWriter {
  private readonly pieces: (string | Buffer)[] = [];
  /** Per piece, whether it is written as UTF-8; ASCII text is written as latin1, a plain copy. */
  private readonly utf8: boolean[] = [];
  /** Each segment cut so far: the index of the piece after its last, and its length in bytes. */
  private readonly segments: { end: number; length: number }[] = [];
  /** Bytes in the segment being written. */
  private length = 0;

  /** `text` must be ASCII (one byte per character): JSON punctuation, numbers and key-safe names. */
  ascii(text: string): void {
    this.pieces.push(text);
    this.utf8.push(false);
    this.length += text.length;
  }

  /** Any text, whose UTF-8 length is already known (counting it is a pass over the text: done once, not per tick). */
  text(text: string, bytes: number): void {
    this.pieces.push(text);
    // ASCII text is as long in bytes as in characters, and its latin1 bytes are its UTF-8 bytes.
    this.utf8.push(bytes !== text.length);
    this.length += bytes;
  }

  /** Bytes encoded before (an app unchanged since the last tick's document): copied as they are. */
  bytes(bytes: Buffer): void {
    this.pieces.push(bytes);
    this.utf8.push(false);
    this.length += bytes.length;
  }

  /** Bytes written in the segment being written. */
  get offset(): number {
    return this.length;
  }

  /** Ends a segment: what was written since the last cut is one buffer of `finish`. */
  cut(): void {
    this.segments.push({ end: this.pieces.length, length: this.length });
    this.length = 0;
  }

  /** The segments cut, each as one buffer, in order (what follows the last cut is not written). */
  async finish(): Promise<Buffer[]> {
    const buffers: Buffer[] = [];
    let i = 0;
    const slice = new LoopSlice(ENCODE_BUDGET_MS, COPY_CLOCK_EVERY);
    for (const { end, length } of this.segments) {
      const out = Buffer.allocUnsafe(length);
      let at = 0;
      for (; i < end; i++) {
        if (slice.due()) await slice.yield();
        const piece = this.pieces[i] as string | Buffer;
        at += typeof piece === 'string' ? out.write(piece, at, this.utf8[i] ? 'utf8' : 'latin1') : piece.copy(out, at);
      }
      buffers.push(out);
    }
    return buffers;
  }
}

/** One server as an item of a JSON array: the first one without the `},` that closes the one before. */
function writeServer(out: SlicedWriter, server: EncodedServer, first: boolean): void {
  out.ascii(first ? server.following.slice(2) : server.following);
  out.text(server.record.json, server.record.jsonBytes);
}

/** Servers as a JSON array's items (comma-separated): each one's ServerSnapshot with its status at this tick. */
export function writeServers(out: SlicedWriter, servers: readonly EncodedServer[]): void {
  // Two pieces per server, the short ASCII text around its heartbeat and the heartbeat: each piece written is a
  // call with its own cost, which at 10,000 servers outweighs joining the short parts.
  for (let i = 0; i < servers.length; i++) writeServer(out, servers[i] as EncodedServer, i === 0);
  if (servers.length > 0) out.ascii('}');
}

/**
 * Where each server of an app starts in the app's encoded bytes, and where the last one ends: kept per app as
 * encoded (the same EncodedApp is the same bytes in every document that holds it).
 */
const serverStarts = new WeakMap<EncodedApp, Int32Array>();

/**
 * The AppSnapshot JSON of one app: its summary and every server. A server that is the same object, in the same
 * place, as in `before` (the app as the last document encoded it) is copied from those bytes, with its unchanged
 * neighbours in one copy: a tick in which 40 % of the servers changed writes only those.
 */
function writeApp(out: SlicedWriter, app: EncodedApp, before: { app: EncodedApp; bytes: Buffer } | undefined): void {
  out.ascii(`{"app":"${app.app}",${app.summary.slice(1, -1)},"servers":[`);
  const { servers } = app;
  const starts = new Int32Array(servers.length + 1);
  const beforeStarts = before?.app.servers.length === servers.length ? serverStarts.get(before.app) : undefined;
  const copyable = before && beforeStarts ? { servers: before.app.servers, bytes: before.bytes, starts: beforeStarts } : undefined;
  // The first server of the run of unchanged ones being copied, if any (its bytes are not written yet).
  let run = -1;
  for (let i = 0; i <= servers.length; i++) {
    const server = servers[i];
    if (server !== undefined && copyable?.servers[i] === server) {
      if (run < 0) run = i;
      starts[i] = out.offset + ((copyable.starts[i] as number) - (copyable.starts[run] as number));
      continue;
    }
    if (run >= 0 && copyable !== undefined) {
      out.bytes(copyable.bytes.subarray(copyable.starts[run], copyable.starts[i]));
      run = -1;
    }
    starts[i] = out.offset;
    if (server !== undefined) writeServer(out, server, i === 0);
  }
  if (servers.length > 0) out.ascii('}');
  out.ascii(']}');
  serverStarts.set(app, starts);
}

/** Every field of a `SystemPulseEvent` but its apps: when it was sent, and whether the state it carries is current. */
export type PulseHead = Omit<SystemPulseEvent, 'apps'>;

/** The head of a `SystemPulseEvent` (a delta shares its tick's): everything before the apps. */
function documentHead(head: PulseHead): Buffer {
  const { timestamp, redis_up, poll_ok, poll_error, data_age_ms } = head;
  // Listed field by field, so that the bytes carry exactly the event's head, in the protocol's order.
  return Buffer.from(`${JSON.stringify({ timestamp, redis_up, poll_ok, poll_error, data_age_ms }).slice(0, -1)},"apps":[`);
}

/**
 * Encodes app objects once, each into a buffer of its own, in order: `write` puts one app's object, unless
 * `encoded` has its bytes already (an app that did not change: the same buffer is kept).
 */
export async function encodeApps<T extends { app: string }>(
  apps: readonly T[],
  write: (out: SlicedWriter, app: T) => void,
  encoded?: (app: T) => Buffer | undefined,
): Promise<Map<string, Buffer>> {
  const out = new SlicedWriter();
  const kept: (Buffer | undefined)[] = [];
  // Thousands of small apps take as long to list as a few large ones to copy (~20 ms at 5,000 apps of two servers).
  const slice = new LoopSlice(ENCODE_BUDGET_MS, APP_CLOCK_EVERY);
  for (const app of apps) {
    if (slice.due()) await slice.yield();
    const bytes = encoded?.(app);
    if (bytes === undefined) {
      write(out, app);
      out.cut();
    }
    kept.push(bytes);
  }
  const written = await out.finish();
  let next = 0;
  return new Map(apps.map((app, i) => [app.app, kept[i] ?? (written[next++] as Buffer)]));
}

/**
 * The `SystemPulseEvent` document of a tick. An app that is the same object as in `previous` (the last tick's
 * apps and their document: nothing in it changed) keeps that document's buffer rather than being written again,
 * and each server of a changed app that is served as it was, in the same place, is copied from it (`writeApp`).
 */
export async function encodeSystemPulse(
  head: PulseHead,
  apps: readonly EncodedApp[],
  previous?: { readonly apps: readonly EncodedApp[]; readonly document: EncodedDocument },
): Promise<EncodedDocument> {
  // The last document's apps by name, with their bytes.
  const encodedBefore = new Map<string, { app: EncodedApp; bytes: Buffer }>();
  if (previous)
    for (const app of previous.apps) {
      const bytes = previous.document.apps.get(app.app);
      if (bytes) encodedBefore.set(app.app, { app, bytes });
    }
  const encoded = await encodeApps(
    apps,
    (out, app) => writeApp(out, app, encodedBefore.get(app.app)),
    (app) => {
      const before = encodedBefore.get(app.app);
      return before?.app === app ? before.bytes : undefined;
    },
  );
  return { head: documentHead(head), apps: encoded, tail: CLOSE_APPS };
}

/** A `SystemPulseEvent` with no app (before the first poll). */
export function emptySystemPulse(head: PulseHead): EncodedDocument {
  return { head: documentHead(head), apps: new Map(), tail: CLOSE_APPS };
}

/** The same apps under another head (a failed poll keeps the last state, saying so): only the head is new. */
export function withHead(document: EncodedDocument, head: PulseHead): EncodedDocument {
  return { ...document, head: documentHead(head) };
}

/**
 * The document as a list of buffers to write, all of it or only the listed apps (those it holds, in its
 * order). Nothing is copied: the pieces are views of the shared buffers.
 */
export function documentParts(document: EncodedDocument, apps?: ReadonlySet<string>): Buffer[] {
  const parts: Buffer[] = [document.head];
  for (const [app, bytes] of document.apps) {
    if (apps !== undefined && !apps.has(app)) continue;
    if (parts.length > 1) parts.push(COMMA);
    parts.push(bytes);
  }
  parts.push(document.tail);
  return parts;
}

/** The document as one buffer (the JSON API, tests). */
export function documentBytes(document: EncodedDocument, apps?: ReadonlySet<string>): Buffer {
  return Buffer.concat(documentParts(document, apps));
}
