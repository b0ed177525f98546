import { diag } from '@opentelemetry/api';

/** OpenTelemetry API 1.x keeps its globals here; `diag` is set when someone installed a logger. */
const OTEL_API_GLOBAL = Symbol.for('opentelemetry.js.api.1');

function diagLoggerInstalled(): boolean {
  const api = (globalThis as Record<symbol, { diag?: unknown } | undefined>)[OTEL_API_GLOBAL];
  return api?.diag !== undefined;
}

/**
 * Logs each condition once, not once per event: a Redis outage or a full queue would otherwise
 * flood the host app's logs. A condition can be re-armed when it clears (e.g. Redis is back).
 * Each instance remembers its own conditions, unless given a set to share (see loud.ts).
 */
export class DiagOnce {
  constructor(private readonly seen: Set<string> = new Set()) {}

  warn(condition: string, message: string, ...args: unknown[]): void {
    if (this.first(condition)) diag.warn(`[pulse] ${message}`, ...args);
  }

  /**
   * A warning the user must see even with OpenTelemetry's diag logger off (its default): through `diag.warn`
   * when a logger is installed, else as one line on stderr.
   */
  loud(condition: string, message: string): void {
    if (!this.first(condition)) return;
    if (diagLoggerInstalled()) {
      diag.warn(`[pulse] ${message}`);
      return;
    }
    try {
      process.stderr.write(`@gravito/pulse-node: ${message}\n`);
    } catch {
      // a closed stderr is not a reason to break the host app
    }
  }

  /** The condition cleared: log it again the next time it happens. */
  clear(condition: string): void {
    this.seen.delete(condition);
  }

  private first(condition: string): boolean {
    if (this.seen.has(condition)) return false;
    this.seen.add(condition);
    return true;
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
