import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Answers a request as an SSE stream: the headers that keep proxies and compression from holding events back,
 * flushed at once, Nagle off (small events go out now), no idle-socket timeout (a stream is the one response
 * meant to stay open; the server closes every other silent socket), and the suggested reconnect delay.
 * Plain node:http types rather than express's: the published .d.ts must not need @types/express.
 */
export function openEventStream(req: IncomingMessage, res: ServerResponse, retryMs: number): void {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    'X-Accel-Buffering': 'no',
    Connection: 'keep-alive',
  });
  res.flushHeaders();
  req.socket.setNoDelay(true);
  req.socket.setTimeout(0);
  res.write(`retry: ${retryMs}\n\n`);
}
