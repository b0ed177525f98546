import type { Request, Response } from 'express';

/**
 * Answers a request as an SSE stream: the headers that keep proxies and compression from holding events back,
 * flushed at once, Nagle off (small events go out now), no idle-socket timeout (a stream is the one response
 * meant to stay open; the server closes every other silent socket), and the suggested reconnect delay.
 */
export function openEventStream(req: Request, res: Response, retryMs: number): void {
  res.status(200);
  res.set({
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
