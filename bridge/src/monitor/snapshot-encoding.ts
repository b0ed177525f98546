import type { ServerStatus } from '@gravito/pulse-protocol';
import { yieldToLoop } from '../redis/read.js';
import type { ServerRecord } from './server-registry.js';

/** One server as served at one tick: its record, its status then, and so its ServerSnapshot bytes. */
export interface EncodedServer {
  readonly record: ServerRecord;
  readonly status: ServerStatus;
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
 * clients, the JSON API) is sent the same memory: `head` + `body` + `tail` is the document; the document for
 * some apps only is `head`, their ranges of `body` joined by commas, and `tail`.
 */
export interface EncodedDocument {
  /** Up to and including the `[` of the apps array. */
  readonly head: Buffer;
  /** The app objects, comma-separated. */
  readonly body: Buffer;
  /** Each app's object in `body`, as [start, end). */
  readonly ranges: ReadonlyMap<string, readonly [number, number]>;
  /** From the `]` that closes the apps array to the end. */
  readonly tail: Buffer;
}

export const COMMA = Buffer.from(',');
const CLOSE_APPS = Buffer.from(']}');

/** Bytes copied between two looks at the clock. */
const COPY_CLOCK_EVERY = 256;
/** Longest run of encoding before the event loop is given back. */
const ENCODE_BUDGET_MS = 2;

/** Copies strings and byte pieces into one buffer, giving the event loop back every `ENCODE_BUDGET_MS`. */
export class SlicedWriter {
  private readonly pieces: (string | Buffer)[] = [];
  private length = 0;

  /** `text` must be ASCII (one byte per character): JSON punctuation, numbers and key-safe names. */
  ascii(text: string): void {
    this.pieces.push(text);
    this.length += text.length;
  }

  bytes(piece: Buffer): void {
    this.pieces.push(piece);
    this.length += piece.length;
  }

  get offset(): number {
    return this.length;
  }

  async finish(): Promise<Buffer> {
    const out = Buffer.allocUnsafe(this.length);
    let at = 0;
    let started = performance.now();
    for (let i = 0; i < this.pieces.length; i++) {
      if (i % COPY_CLOCK_EVERY === 0 && performance.now() - started >= ENCODE_BUDGET_MS) {
        await yieldToLoop();
        started = performance.now();
      }
      const piece = this.pieces[i] as string | Buffer;
      at += typeof piece === 'string' ? out.write(piece, at, 'latin1') : piece.copy(out, at);
    }
    return out;
  }
}

/**
 * The ServerSnapshot JSON of a server with a status, followed by a comma: built once per heartbeat and status
 * and kept on the record, so an unchanged server costs one copy per tick. (The comma saves a piece per server;
 * the last of a list is written without it.)
 */
export function serverBytes(record: ServerRecord, status: ServerStatus): Buffer {
  if (record.encoded?.status !== status) record.encoded = { status, bytes: Buffer.from(`${record.head}${status}${record.tail},`) };
  return record.encoded.bytes;
}

/** Servers as a JSON array's items (comma-separated). */
export function writeServers(out: SlicedWriter, servers: readonly EncodedServer[]): void {
  const last = servers.length - 1;
  servers.forEach((server, i) => {
    const bytes = serverBytes(server.record, server.status);
    out.bytes(i === last ? bytes.subarray(0, bytes.length - 1) : bytes);
  });
}

/** The AppSnapshot JSON of one app: its summary and every server. */
function writeApp(out: SlicedWriter, app: EncodedApp): void {
  out.ascii(`{"app":"${app.app}",${app.summary.slice(1, -1)},"servers":[`);
  writeServers(out, app.servers);
  out.ascii(']}');
}

/** The head of a `SystemPulseEvent` (a delta shares its tick's): everything before the apps. */
function documentHead(timestamp: number, redisUp: boolean): Buffer {
  return Buffer.from(`{"timestamp":${timestamp},"redis_up":${redisUp},"apps":[`);
}

/** Encodes app objects once into one buffer, with each app's range; `write` puts one app's object. */
export async function encodeApps<T extends { app: string }>(
  apps: readonly T[],
  write: (out: SlicedWriter, app: T) => void,
): Promise<{ body: Buffer; ranges: Map<string, readonly [number, number]> }> {
  const out = new SlicedWriter();
  const ranges = new Map<string, readonly [number, number]>();
  apps.forEach((app, i) => {
    if (i > 0) out.ascii(',');
    const start = out.offset;
    write(out, app);
    ranges.set(app.app, [start, out.offset]);
  });
  return { body: await out.finish(), ranges };
}

/** The `SystemPulseEvent` document of a tick. */
export async function encodeSystemPulse(timestamp: number, redisUp: boolean, apps: readonly EncodedApp[]): Promise<EncodedDocument> {
  const { body, ranges } = await encodeApps(apps, writeApp);
  return { head: documentHead(timestamp, redisUp), body, ranges, tail: CLOSE_APPS };
}

/** A `SystemPulseEvent` with no app (before the first poll). */
export function emptySystemPulse(timestamp: number): EncodedDocument {
  return { head: documentHead(timestamp, false), body: Buffer.alloc(0), ranges: new Map(), tail: CLOSE_APPS };
}

/** The same apps at another moment (a failed poll keeps the last state): only the head is new. */
export function withHead(document: EncodedDocument, timestamp: number, redisUp: boolean): EncodedDocument {
  return { ...document, head: documentHead(timestamp, redisUp) };
}

/**
 * The document as a list of buffers to write, all of it or only the listed apps (those it holds, in its
 * order). Nothing is copied: the pieces are views of the shared buffers.
 */
export function documentParts(document: EncodedDocument, apps?: ReadonlySet<string>): Buffer[] {
  if (apps === undefined) return [document.head, document.body, document.tail];
  const parts: Buffer[] = [document.head];
  for (const [app, [start, end]] of document.ranges) {
    if (!apps.has(app)) continue;
    if (parts.length > 1) parts.push(COMMA);
    parts.push(document.body.subarray(start, end));
  }
  parts.push(document.tail);
  return parts;
}

/** The document as one buffer (the JSON API, tests). */
export function documentBytes(document: EncodedDocument, apps?: ReadonlySet<string>): Buffer {
  return Buffer.concat(documentParts(document, apps));
}
