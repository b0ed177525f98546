// The physical ceiling for bench/bridge-fanout.ts: a bare Node HTTP server that writes one shared buffer of the
// given size to every connected SSE reader each interval, and does nothing else (no Redis, no encoding, no
// budget). Prints its port on stdout.
//   node --import tsx bench/fanout/ceiling-server.ts <frame bytes> <interval ms>
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const frameBytes = Number(process.argv[2]);
const intervalMs = Number(process.argv[3]);
const readers = new Set<ServerResponse>();
let id = 0;

const server = createServer((req, res) => {
  if (req.url === '/healthz') {
    res.end('{"status":"ok"}');
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  res.flushHeaders();
  req.socket.setNoDelay(true);
  readers.add(res);
  res.on('close', () => readers.delete(res));
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as AddressInfo).port })));

setInterval(() => {
  // The same shape as a system_pulse frame: the timestamp first, then filler up to the size.
  const head = `id: ${++id}\nevent: system_pulse\ndata: {"timestamp":${Date.now()},"pad":"`;
  const frame = Buffer.alloc(frameBytes, 'x');
  frame.write(head, 0, 'latin1');
  frame.write('"}\n\n', frameBytes - 4, 'latin1');
  for (const res of readers) res.write(frame);
}, intervalMs);
