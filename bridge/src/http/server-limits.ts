import type { Server } from 'node:http';

/** The whole request (headers and any body) must arrive within this; the SSE response itself is not bounded by it. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** Request headers must arrive within this. */
export const HEADERS_TIMEOUT_MS = 10_000;
/** A socket that neither sends nor receives for this long is closed; SSE streams are exempt (openEventStream). */
export const IDLE_SOCKET_TIMEOUT_MS = 30_000;
/** Open sockets at most; past it new ones are closed at once (SSE clients are capped lower, by PULSE_SSE_MAX_CLIENTS). */
export const MAX_CONNECTIONS = 10_000;

/**
 * Timeouts and a connection cap for the bridge's HTTP server, so that sockets that never send a byte, or send
 * headers a byte at a time, cannot pile up until /healthz and /metrics stop answering.
 */
export function applyServerLimits(server: Server): void {
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  // A socket's inactivity timeout; with no 'timeout' listener Node destroys the socket when it fires.
  server.timeout = IDLE_SOCKET_TIMEOUT_MS;
  server.maxConnections = MAX_CONNECTIONS;
}

/** Whether a listen address is reachable from this machine only. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host) || host === '::ffff:127.0.0.1';
}
