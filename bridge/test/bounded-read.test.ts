// The heartbeat read against a real redis-server: a chunk's values come back in key order, each in its own words,
// whatever their sizes, while no one script call reads more than its byte budget (a script holds Redis for as
// long as it runs).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MAX_HEARTBEAT_BYTES } from '@gravito/pulse-protocol';
import { startRedis, type TestRedis } from '@gravito/pulse-testkit';
import type { Redis } from 'ioredis';
import { type BoundedValue, boundedGetChunk, SCRIPT_BYTES_PER_CALL } from '../src/redis/bounded-get.js';
import { connectRedis, type RedisHandle } from '../src/redis/connection.js';
import { commandCalls } from './helpers.js';

const LARGE = 60_000; // valid: under the 64 KiB bound

describe('bounded heartbeat read', () => {
  let server: TestRedis;
  let redis: Redis;
  let handle: RedisHandle;
  const keys: string[] = [];
  const expected: BoundedValue[] = [];

  before(async () => {
    server = await startRedis();
    redis = server.client();
    handle = connectRedis(server.url, { timeoutMs: 5_000 });
    // Small and large values, with every kind of value the read reports in its own words among them.
    const add = async (key: string, value: BoundedValue, write: () => Promise<unknown>) => {
      await write();
      keys.push(key);
      expected.push(value);
    };
    for (let i = 0; i < 40; i++) {
      const key = `pulse:server:app:s${i}`;
      const value = (i % 2 ? 'L' : 's').repeat(i % 2 ? LARGE : 700) + i;
      await add(key, value, () => redis.set(key, value));
      if (i === 7) await add('pulse:server:app:gone', null, async () => {});
      if (i === 15) await add('pulse:server:app:empty', '', () => redis.set('pulse:server:app:empty', ''));
      if (i === 23) await add('pulse:server:app:list', { wrongType: true }, () => redis.lpush('pulse:server:app:list', 'x'));
      if (i === 31) {
        const huge = MAX_HEARTBEAT_BYTES + 1;
        await add('pulse:server:app:huge', { tooLarge: huge }, () => redis.set('pulse:server:app:huge', 'h'.repeat(huge)));
      }
    }
  });
  after(async () => {
    await handle?.close();
    await server?.stop();
  });

  it('returns every value of a chunk in key order, in as many script calls as the byte budget needs', async () => {
    const read = 20 * (LARGE + 2) + 20 * 702;
    const before = await commandCalls(redis, 'evalsha', 'eval');
    assert.deepEqual(await boundedGetChunk(handle, keys, MAX_HEARTBEAT_BYTES), expected);
    const calls = (await commandCalls(redis, 'evalsha', 'eval')) - before;
    // Every call but the last reads at least the budget, and at most the budget plus one value.
    assert.ok(calls >= Math.ceil(read / (SCRIPT_BYTES_PER_CALL + LARGE)), `${calls} calls for ${read} bytes`);
    assert.ok(calls <= Math.ceil(read / SCRIPT_BYTES_PER_CALL) + 2, `${calls} calls for ${read} bytes`);
  });

  it('reads the same values again, sending each call about as many keys as fit the budget', async () => {
    const before = await commandCalls(redis, 'evalsha', 'eval');
    assert.deepEqual(await boundedGetChunk(handle, keys, MAX_HEARTBEAT_BYTES), expected);
    assert.deepEqual(await boundedGetChunk(handle, keys.slice(5, 9), MAX_HEARTBEAT_BYTES), expected.slice(5, 9));
    assert.ok((await commandCalls(redis, 'evalsha', 'eval')) - before >= 2);
  });
});
