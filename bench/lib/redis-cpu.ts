import type { Redis } from 'ioredis';

/** Redis's own CPU time so far (user + system, `INFO cpu`), in ms: the server's share of a step on a shared machine. */
export async function redisCpuMs(client: Redis): Promise<number> {
  const info = await client.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? Number.NaN);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
}

/** `fn`'s result, and what Redis spent on a CPU meanwhile (ms). */
export async function redisCpuDuring<T>(client: Redis, fn: () => Promise<T>): Promise<{ value: T; redisCpuMs: number }> {
  const before = await redisCpuMs(client);
  const value = await fn();
  return { value, redisCpuMs: (await redisCpuMs(client)) - before };
}
