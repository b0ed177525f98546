/**
 * `work`'s result, or `undefined` once `timeoutMs` has passed first: a slow read (a hung NFS mount, a process
 * table that answers late) must not hold the heartbeat. The timer is unref'd and cleared either way.
 */
export async function within<T>(work: Promise<T>, timeoutMs: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, timeoutMs, undefined);
    timer.unref();
  });
  try {
    return await Promise.race([work, bound]);
  } finally {
    clearTimeout(timer);
  }
}
