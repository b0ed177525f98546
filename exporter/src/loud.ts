import { diag } from '@opentelemetry/api';

/**
 * Warnings a user must see even with OpenTelemetry's diag logger off (its default): Pulse writing
 * nothing useful (unknown service name, a duplicate Pulse) or writing nothing at all (Redis
 * unreachable). Each goes once through `diag.warn`, and, when no diag logger is installed, as one
 * line on stderr. A condition is logged once per process until it is cleared (e.g. Redis is back).
 */

/** OpenTelemetry API 1.x keeps its globals here; `diag` is set when someone installed a logger. */
const OTEL_API_GLOBAL = Symbol.for('opentelemetry.js.api.1');
/** Conditions warned in this process, shared by every copy of this package that is loaded. */
const SEEN_KEY = Symbol.for('gravito.pulse.loud-warnings');

function seen(): Set<string> {
  const g = globalThis as { [SEEN_KEY]?: Set<string> };
  g[SEEN_KEY] ??= new Set();
  return g[SEEN_KEY];
}

function diagLoggerInstalled(): boolean {
  const api = (globalThis as Record<symbol, { diag?: unknown } | undefined>)[OTEL_API_GLOBAL];
  return api?.diag !== undefined;
}

/** Warns once per process per condition: diag if a logger is installed, else one stderr line. */
export function warnLoud(condition: string, message: string): void {
  const conditions = seen();
  if (conditions.has(condition)) return;
  conditions.add(condition);
  const line = `[pulse] ${message}`;
  if (diagLoggerInstalled()) {
    diag.warn(line);
    return;
  }
  try {
    process.stderr.write(`@gravito/pulse-node: ${message}\n`);
  } catch {
    // a closed stderr is not a reason to break the host app
  }
}

/** The condition cleared: warn again the next time it happens. */
export function clearLoud(condition: string): void {
  seen().delete(condition);
}
