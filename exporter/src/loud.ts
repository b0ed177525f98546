import { DiagOnce } from './diag-once.js';

/** Conditions warned in this process, shared by every copy of this package that is loaded. */
const SEEN_KEY = Symbol.for('gravito.pulse.loud-warnings');

function seen(): Set<string> {
  const g = globalThis as { [SEEN_KEY]?: Set<string> };
  g[SEEN_KEY] ??= new Set();
  return g[SEEN_KEY];
}

/**
 * Warnings about the process as a whole, not one Pulse: Pulse writing nothing useful (unknown service
 * name, a duplicate Pulse). Loud (`DiagOnce.loud`: stderr even with diag off), and once per process even
 * with two Pulses or two copies of this package.
 */
export const processWarnings = new DiagOnce(seen());
