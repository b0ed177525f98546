/**
 * What one stream client asked for (`GET /api/pulse/stream?mode=delta&app=a,b`):
 * - `full` (the default): a whole `system_pulse` every interval;
 * - `delta`: a whole `system_pulse` on connect, then `system_pulse_delta` events (only what changed);
 * - `apps`: only these apps (their servers, summaries, slow entries and exceptions); every app when absent.
 */
export type StreamMode = 'full' | 'delta';

export const STREAM_MODES: readonly StreamMode[] = ['full', 'delta'];

/** Most apps one stream may name. */
export const MAX_STREAM_APPS = 100;

export interface Subscription {
  readonly mode: StreamMode;
  readonly apps: ReadonlySet<string> | undefined;
  /** Clients with the same key are sent the same bytes. */
  readonly key: string;
}

export function subscription(mode: StreamMode, apps: readonly string[] | undefined): Subscription {
  const sorted = apps === undefined ? undefined : [...new Set(apps)].sort();
  return { mode, apps: sorted && new Set(sorted), key: `${mode}:${sorted?.join(',') ?? '*'}` };
}

/** The same apps, in full mode (a delta client's first event is the full state of its apps). */
export function asFull(sub: Subscription): Subscription {
  return sub.mode === 'full' ? sub : subscription('full', sub.apps && [...sub.apps]);
}

/** Whether an event about `app` (a slow entry, an exception) goes to this client; one about no app goes to all. */
export function wants(sub: Subscription, app: string | undefined): boolean {
  return app === undefined || sub.apps === undefined || sub.apps.has(app);
}
