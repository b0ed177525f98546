export interface Deadline<T> {
  /** Resolves with the deadline's value once it is reached; never rejects. */
  readonly reached: Promise<T>;
  /** Clears the timer (call it once the work is done, so that no timer outlives it). */
  cancel(): void;
}

/** A bound for `Promise.race`: its timer is `unref()`'d, so a pending bound never keeps the host process alive. */
export function deadline<T>(ms: number, value: T): Deadline<T> {
  let timer: NodeJS.Timeout | undefined;
  const reached = new Promise<T>((resolve) => {
    timer = setTimeout(resolve, ms, value);
    timer.unref();
  });
  return { reached, cancel: () => clearTimeout(timer) };
}
