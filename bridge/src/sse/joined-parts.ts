/**
 * Consecutive buffers joined into buffers of up to `maxBytes` each; a buffer that large or larger is kept as it is
 * (no copy). A socket is handed one buffer a write, and each write costs its own turn through the HTTP response
 * (its chunk's framing, its call): an event made of an app's object each would be hundreds of writes a client and
 * pulse where a few large ones do (bench/bridge-fanout.ts).
 */
export function joinedParts(parts: readonly Buffer[], maxBytes: number): Buffer[] {
  const joined: Buffer[] = [];
  let group: Buffer[] = [];
  let groupBytes = 0;
  const flush = () => {
    if (group.length === 1) joined.push(group[0] as Buffer);
    else if (group.length > 1) joined.push(Buffer.concat(group, groupBytes));
    group = [];
    groupBytes = 0;
  };
  for (const part of parts) {
    if (groupBytes + part.length > maxBytes) flush();
    group.push(part);
    groupBytes += part.length;
  }
  flush();
  return joined;
}
