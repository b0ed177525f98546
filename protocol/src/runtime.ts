import { PulseRuntime } from './schema/heartbeat.js';

const KNOWN: ReadonlySet<string> = new Set(PulseRuntime.anyOf.map((literal) => literal.const));

/**
 * What a reader accepts in `meta.runtime` beyond the known names: a short lowercase token, the shape every
 * known name has. Anything else (spaces, quotes, upper case, 33+ characters) is still rejected: it is not a
 * runtime name from a newer SDK but a broken writer.
 */
export const RUNTIME_TOKEN = /^[a-z][a-z0-9_-]{0,31}$/;

export function isKnownRuntime(value: string): value is PulseRuntime {
  return KNOWN.has(value);
}

/**
 * The reader's rule for a runtime it does not know (README, "Unknown runtimes"): a well-formed token is read as
 * `other`, so that a heartbeat from a newer SDK (a runtime added after this reader was built) is shown and
 * counted, with a bounded label set, instead of being discarded. Writers still validate strictly.
 * Changes a freshly parsed payload in place; anything that is not a heartbeat-shaped object is left for the
 * schema to reject.
 */
export function tolerateUnknownRuntime(value: unknown): void {
  if (typeof value !== 'object' || value === null || !Object.hasOwn(value, 'meta')) return;
  const meta = (value as { meta: unknown }).meta;
  if (typeof meta !== 'object' || meta === null || !Object.hasOwn(meta, 'runtime')) return;
  const runtime = (meta as { runtime: unknown }).runtime;
  if (typeof runtime === 'string' && !KNOWN.has(runtime) && RUNTIME_TOKEN.test(runtime)) (meta as { runtime: string }).runtime = 'other';
}
