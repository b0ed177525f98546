import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRedis, type TestRedis } from '../src/index.js';

describe('test harness: a real Redis', () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis({ faults: true });
  });
  after(() => redis.stop());

  it('talks to a real redis-server: SET, GET, TTL', async () => {
    const client = redis.client();
    assert.equal(await client.set('harness:k', 'v', 'EX', 30), 'OK');
    assert.equal(await client.get('harness:k'), 'v');
    const ttl = await client.ttl('harness:k');
    assert.ok(ttl > 0 && ttl <= 30, `ttl ${ttl}`);
    const info = await client.info('server');
    assert.match(info, /redis_version:/);
  });

  it('kills the server, then restarts it empty at the same address', async () => {
    const client = redis.client();
    await client.set('harness:gone', '1');
    await redis.kill();
    await assert.rejects(client.ping());
    await redis.restart();
    const fresh = redis.client();
    assert.equal(await fresh.ping(), 'PONG');
    assert.equal(await fresh.get('harness:gone'), null);
  });

  it('pauses the server so that commands hang, and resumes it', async () => {
    const client = redis.client();
    assert.equal(await client.ping(), 'PONG');
    await redis.pause();
    const outcome = await Promise.race([client.ping().then(() => 'answered'), new Promise((resolve) => setTimeout(resolve, 300, 'hung'))]);
    assert.equal(outcome, 'hung');
    await redis.resume();
    assert.equal(await client.ping(), 'PONG');
  });

  it('passes extra server arguments', async () => {
    const small = await startRedis({ args: ['--maxmemory', '1mb', '--maxmemory-policy', 'noeviction'] });
    try {
      const config = await small.client().config('GET', 'maxmemory');
      assert.deepEqual(config, ['maxmemory', '1048576']);
    } finally {
      await small.stop();
    }
  });
});
