import { createServer, type RequestListener, type Server } from 'node:http';

/** The whole request (headers and any body) must arrive within this; the SSE response itself is not bounded by it. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** Request headers must arrive within this. */
export const HEADERS_TIMEOUT_MS = 10_000;
/** A socket that neither sends nor receives for this long is closed; SSE streams are exempt (openEventStream). */
export const IDLE_SOCKET_TIMEOUT_MS = 30_000;
/**
 * How often Node checks incomplete requests against the two timeouts above. Its default, 30 s, would let a request
 * whose headers trickle in (a byte now and then, so the idle timeout never fires) hold its socket for up to 40 s.
 */
export const TIMEOUT_CHECK_INTERVAL_MS = 1_000;
/** Open sockets at most; past it new ones are closed at once (SSE clients are capped lower, by PULSE_SSE_MAX_CLIENTS). */
export const MAX_CONNECTIONS = 10_000;

/**
 * The bridge's HTTP server, with timeouts and a connection cap, so that sockets that never send a byte, or send
 * headers a byte at a time, cannot pile up until /healthz and /metrics stop answering.
 */
export function createLimitedServer(handler: RequestListener): Server {
  const server = createServer({ connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS }, handler);
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  // A socket's inactivity timeout; with no 'timeout' listener Node destroys the socket when it fires.
  server.timeout = IDLE_SOCKET_TIMEOUT_MS;
  server.maxConnections = MAX_CONNECTIONS;
  return server;
}

/** Whether a listen address is reachable from this machine only. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host) || host === '::ffff:127.0.0.1';
}
