import { KEY_PART, MAX_STREAM_APPS } from './protocol.js';

/**
 * The apps named in the page's own `?app=a,b`: key-safe names only (others are dropped, so that a mistyped
 * address shows the remaining apps rather than a stream the bridge refuses), at most the stream's limit.
 */
export function appFilter(search: string): string[] {
  const raw = new URLSearchParams(search).get('app') ?? '';
  const names = raw.split(',').filter((name) => KEY_PART.test(name));
  return [...new Set(names)].slice(0, MAX_STREAM_APPS);
}

/** The page always asks for deltas (a full `system_pulse` on each connect, then only what changed). */
export function streamQuery(apps: readonly string[]): Record<string, string> {
  return apps.length > 0 ? { mode: 'delta', app: apps.join(',') } : { mode: 'delta' };
}
