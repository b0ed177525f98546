import type { Redis } from 'ioredis';

/**
 * Every key in Redis, and every value of every key, as one text: to prove that something (a query's literal, a
 * token) is nowhere in Redis. Any type it cannot read is named, never skipped in silence.
 */
export async function everyKeyAndValue(client: Redis): Promise<string> {
  const parts: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      parts.push(key);
      const type = await client.type(key);
      if (type === 'string') parts.push((await client.get(key)) ?? '');
      else if (type === 'stream') parts.push(JSON.stringify(await client.xrange(key, '-', '+')));
      else if (type === 'zset') parts.push(...(await client.zrange(key, '0', '-1')));
      else if (type === 'hash') parts.push(JSON.stringify(await client.hgetall(key)));
      else if (type === 'list') parts.push(...(await client.lrange(key, 0, -1)));
      else if (type === 'set') parts.push(...(await client.smembers(key)));
      else parts.push(`<a ${type} at ${key}>`);
    }
  } while (cursor !== '0');
  return parts.join('\n');
}
