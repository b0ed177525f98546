export interface EventuallyOptions {
  /** Pause between probes (default 100 ms). */
  everyMs?: number;
  /** Appended to the timeout's message, e.g. a child's last output lines. */
  context?: () => string;
}

/**
 * Probes until `probe` gives something other than `undefined` or `false`, and returns it. A probe that throws counts
 * as "not yet" (a server still starting refuses connections); the last error is in the timeout's message.
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs: number,
  { everyMs = 100, context }: EventuallyOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const cause = lastError === undefined ? '' : ` (last error: ${String(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}${context ? `\n${context()}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
