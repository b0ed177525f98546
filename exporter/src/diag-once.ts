import { diag } from '@opentelemetry/api';

/**
 * Logs each condition once, not once per event: a Redis outage or a full queue would otherwise
 * flood the host app's logs. A condition can be re-armed when it clears (e.g. Redis is back).
 */
export class DiagOnce {
  private readonly seen = new Set<string>();

  warn(condition: string, message: string, ...args: unknown[]): void {
    if (this.seen.has(condition)) return;
    this.seen.add(condition);
    diag.warn(`[pulse] ${message}`, ...args);
  }

  info(condition: string, message: string): void {
    if (this.seen.has(condition)) return;
    this.seen.add(condition);
    diag.info(`[pulse] ${message}`);
  }

  /** The condition cleared: log it again the next time it happens. */
  clear(condition: string): void {
    this.seen.delete(condition);
  }
}

/** Message of anything thrown, without trusting it to be an Error. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  try {
    return String(err);
  } catch {
    return 'unknown error';
  }
}
