import type { PulseRuntime } from '@gravito/pulse-protocol';

export interface RuntimeInfo {
  name: Extract<PulseRuntime, 'node' | 'bun' | 'deno'>;
  /** The runtime's own version: `Bun.version`, `Deno.version.deno`, or Node's `process.version`. */
  version: string;
}

interface RuntimeGlobals {
  Bun?: { version?: unknown };
  Deno?: { version?: { deno?: unknown } };
}

/**
 * Which runtime runs this process. Bun and Deno implement `process` for compatibility, and there
 * `process.version` is the Node version they imitate (Bun 1.4 says v26.x), so they are told apart by their own
 * globals first. OpenTelemetry's process detector has the same blind spot, which is why heartbeats take the
 * runtime from here and not from the Resource.
 */
function detectRuntime(): RuntimeInfo {
  const globals = globalThis as RuntimeGlobals;
  const bun = globals.Bun?.version;
  if (typeof bun === 'string' && bun !== '') return { name: 'bun', version: bun };
  const deno = globals.Deno?.version?.deno;
  if (typeof deno === 'string' && deno !== '') return { name: 'deno', version: deno };
  return { name: 'node', version: process.version };
}

/** This process's runtime, detected once. */
export const RUNTIME: RuntimeInfo = detectRuntime();
