import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { BridgeConfig } from './config/config.js';

export interface BridgeOptions {
  logger?: Logger;
  /**
   * For tests and benchmarks only: a poll interval below the 1,000 ms floor that configuration allows.
   * It overrides `streamIntervalMs`.
   */
  unsafeIntervalMs?: number;
  /** SSE keep-alive comment period (15 s by default). */
  keepAliveMs?: number;
}

/** A bridge: what an embedding program starts and stops. Its parts (Redis, monitor, feeds) are its own. */
export interface Bridge {
  readonly config: BridgeConfig;
  /** The HTTP server (listening once `start()` resolves). */
  readonly server: Server;
  /** Listens and starts polling. Resolves with the address it listens on. */
  start(): Promise<{ host: string; port: number; url: string }>;
  /** Ends SSE clients, stops polling, closes the server and Redis. Idempotent; bounded by `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
}
