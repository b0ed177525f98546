import { yieldToLoop } from '../../lib/loop-slice.js';

/**
 * What handing a socket one more buffer costs (its own write through the HTTP response: a call, a chunk's framing),
 * as bytes copied: measured where the two ways cost the same (bench/bridge-fanout.ts, phase zenith at 16 readers:
 * ~200 buffers of a 7.6 MB state a client, or one copy of it all).
 */
const WRITE_COST_BYTES = 2048;

/**
 * Whether an event's buffers are better joined once for `clients` clients than handed to each as they are: when
 * the writes they would take cost more than copying their bytes (many clients, or many small buffers: thousands of
 * apps of one server each).
 */
export function joinPays(parts: readonly Buffer[], clients: number): boolean {
  return byteLength(parts) < clients * parts.length * WRITE_COST_BYTES;
}

/** The bytes of all `parts`. */
export function byteLength(parts: readonly Buffer[]): number {
  let bytes = 0;
  for (const part of parts) bytes += part.length;
  return bytes;
}

/**
 * Consecutive buffers joined into buffers of up to `maxBytes` each; a buffer that large or larger is kept as it is
 * (no copy). A socket is handed one buffer a write, and each write costs its own turn through the HTTP response
 * (its chunk's framing, its call): an event made of an app's object each would be hundreds of writes a client and
 * pulse where a few large ones do (bench/bridge-fanout.ts). The event loop is given back after each piece copied:
 * a whole state (~8 MB at 10,000 servers) joined in one run held it for 30 ms and more, the copy landing in fresh
 * memory faulted in page by page.
 */
export async function joinedParts(parts: readonly Buffer[], maxBytes: number): Promise<Buffer[]> {
  const joined: Buffer[] = [];
  let group: Buffer[] = [];
  let groupBytes = 0;
  const flush = async () => {
    if (group.length === 1) joined.push(group[0] as Buffer);
    else if (group.length > 1) {
      joined.push(Buffer.concat(group, groupBytes));
      await yieldToLoop();
    }
    group = [];
    groupBytes = 0;
  };
  for (const part of parts) {
    if (groupBytes + part.length > maxBytes) await flush();
    group.push(part);
    groupBytes += part.length;
  }
  await flush();
  return joined;
}
