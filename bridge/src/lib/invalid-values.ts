import type { Logger } from 'pino';

export type InvalidKind = 'heartbeat' | 'slow' | 'error';

/** Distinct (key, reason) pairs logged before the log goes quiet; counting goes on regardless. */
const MAX_LOGGED = 1_000;
const clip = (text: string, max = 200) => (text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text);

/**
 * Counts every invalid value the bridge reads and logs each (key, reason) once: a bad writer that keeps
 * writing the same bad value every 5 s must not flood the log. Keys and reasons are clipped, since a hostile
 * writer controls both.
 */
export class InvalidValues {
  readonly counts: Record<InvalidKind, number> = { heartbeat: 0, slow: 0, error: 0 };
  private readonly logged = new Set<string>();
  private muted = false;

  constructor(private readonly log: Logger) {}

  report(kind: InvalidKind, key: string, reason: string): void {
    this.counts[kind]++;
    // The reason's first words name its class ("not JSON", "at /system/cpu_usage"), not the whole value.
    const reasonClass = clip(reason, 80);
    const id = `${kind}\u0000${clip(key, 200)}\u0000${reasonClass}`;
    if (this.logged.has(id)) return;
    if (this.logged.size >= MAX_LOGGED) {
      if (!this.muted) {
        this.muted = true;
        this.log.warn({ kind }, `over ${MAX_LOGGED} distinct invalid values: no longer logging them (still counted)`);
      }
      return;
    }
    this.logged.add(id);
    this.log.warn({ kind, key: clip(key), reason: clip(reason) }, 'invalid value skipped');
  }
}
