// The tracked heartbeat read on its pipelined connection, against a real redis-server: the same values in the
// same words as the script, each with its time to live, with no script run; reached as an ACL user in another
// database; the script's path where the ACL refuses GETRANGE, and the plain commands again once it grants them (past
// the refusal's time, or after a reconnect); and a frozen Redis, an abort or a killed connection
// fail the read at once and leave the next one working; a connection Redis refuses says why. On the real 3-master cluster: each key read on its slot's
// master, and a key whose slot moved read through the cluster client.
import assert from 'node:assert/strict';
import { after, before, describe, it, mock } from 'node:test';
import { heartbeatKey, MAX_HEARTBEAT_BYTES } from '@gravito/pulse-protocol';
import {
  addUserWithoutGetrange,
  asUserWithoutGetrange,
  changeUserOf,
  killConnectionsOf,
  startRedis,
  type TestRedis,
} from '@gravito/pulse-testkit';
import calculateSlot from 'cluster-key-slot';
import type { Redis } from 'ioredis';
import { type BoundedValue, boundedGetChunkWithTtl } from '../src/redis/bounded-get.js';
import { connectRedis, type RedisHandle } from '../src/redis/connection.js';
import { REFUSAL_STANDS_MS, readRefusal } from '../src/redis/refusals.js';
import { commandCalls, killClients, moveSlot, suiteCluster, waitFor, withOneKilledAtMaxclients } from './helpers.js';

async function connected(url: string, timeoutMs = 5_000): Promise<RedisHandle> {
  const handle = connectRedis(url, { timeoutMs });
  while (!handle.ready()) await new Promise((resolve) => setTimeout(resolve, 10));
  return handle;
}

describe('pipelined heartbeat read with times to live', { timeout: 60_000 }, () => {
  let server: TestRedis;
  let redis: Redis;
  let handle: RedisHandle;
  const keys: string[] = [];
  const expected: BoundedValue[] = [];
  /** Each key's time to live as set: undefined for none, null for a key that is not there. */
  const ttls: (number | undefined | null)[] = [];

  before(async () => {
    server = await startRedis();
    redis = server.client();
    const add = async (key: string, value: BoundedValue, ttl: number | undefined | null, write: () => Promise<unknown>) => {
      await write();
      keys.push(key);
      expected.push(value);
      ttls.push(ttl);
    };
    for (let i = 0; i < 300; i++) {
      const key = `pulse:server:app:s${i}`;
      // Multi-byte text, and a value of exactly the bound, among small ones.
      const value = i === 150 ? 'x'.repeat(MAX_HEARTBEAT_BYTES) : `${i % 3 ? 's' : 'ü€'.repeat(100)}${i}`;
      const ttl = i % 2 ? 30_000 + i : undefined;
      await add(key, value, ttl, () => (ttl ? redis.set(key, value, 'PX', ttl) : redis.set(key, value)));
      if (i === 7) await add('pulse:server:app:gone', null, null, async () => {});
      if (i === 15) await add('pulse:server:app:empty', '', 5_000, () => redis.set('pulse:server:app:empty', '', 'PX', 5_000));
      if (i === 23) await add('pulse:server:app:list', { wrongType: true }, undefined, () => redis.lpush('pulse:server:app:list', 'x'));
      if (i === 31) {
        const huge = MAX_HEARTBEAT_BYTES + 1;
        await add('pulse:server:app:huge', { tooLarge: huge }, undefined, () => redis.set('pulse:server:app:huge', 'h'.repeat(huge)));
      }
    }
    handle = await connected(server.url);
  });
  after(async () => {
    await handle?.close();
    await server?.stop();
  });

  const assertRead = (read: { values: BoundedValue[]; ttlMs: number[] }) => {
    assert.deepEqual(read.values, expected);
    read.ttlMs.forEach((ttl, i) => {
      const set = ttls[i];
      if (set === null) assert.equal(ttl, -2, keys[i]);
      else if (set === undefined) assert.equal(ttl, -1, keys[i]);
      else assert.ok(ttl > 0 && ttl <= set, `${keys[i]}: ${ttl} of ${set}`);
    });
  };

  it('reads every value in the script’s words, each with its time to live, in plain commands', async () => {
    const scripts = await commandCalls(redis, 'evalsha', 'eval');
    const ranges = await commandCalls(redis, 'getrange');
    assertRead(await boundedGetChunkWithTtl(handle, keys, MAX_HEARTBEAT_BYTES));
    assert.equal(await commandCalls(redis, 'evalsha', 'eval'), scripts, 'no script ran');
    assert.equal((await commandCalls(redis, 'getrange')) - ranges, keys.length);
    // On a connection of its own, named in CLIENT LIST.
    assert.match((await redis.call('CLIENT', 'LIST')) as string, /name=pulse-bridge-read /);
  });

  it('reaches the same database as the same user: an ACL user with a password, database 3', async () => {
    await redis.call('ACL', 'SETUSER', 'pulse-reader', 'on', '>reader-secret', '~*', '&*', '+@all');
    await redis.select(3);
    await redis.set('pulse:server:app:db3', 'in db 3', 'PX', 60_000);
    await redis.select(0);
    const url = new URL(server.url);
    url.username = 'pulse-reader';
    url.password = 'reader-secret';
    url.pathname = '/3';
    const asUser = await connected(url.href);
    try {
      const read = await boundedGetChunkWithTtl(asUser, ['pulse:server:app:db3', 'pulse:server:app:s0'], MAX_HEARTBEAT_BYTES);
      assert.deepEqual(read.values, ['in db 3', null]);
      assert.ok((read.ttlMs[0] as number) > 0);
    } finally {
      await asUser.close();
    }
  });

  /** Reads every key on `as`, checks what it read, and says whether the script read them (else the plain commands). */
  async function readByScript(as: RedisHandle): Promise<boolean> {
    const scripts = await commandCalls(redis, 'evalsha', 'eval');
    assertRead(await boundedGetChunkWithTtl(as, keys, MAX_HEARTBEAT_BYTES));
    return (await commandCalls(redis, 'evalsha', 'eval')) > scripts;
  }

  /** Runs `test` on a connection as the ACL user without GETRANGE (`url`), who is without it again after. */
  async function withoutGetrange(test: (refused: RedisHandle, url: string) => Promise<void>): Promise<void> {
    await addUserWithoutGetrange(redis);
    const url = asUserWithoutGetrange(server.url);
    const refused = await connected(url);
    try {
      await test(refused, url);
    } finally {
      await changeUserOf(redis, url, '-getrange');
      await refused.close();
    }
  }

  it('reads through the script where the ACL refuses GETRANGE', () =>
    withoutGetrange(async (refused, url) => {
      assert.equal(await readByScript(refused), true, 'the script read them');
      // Kept, so that the monitor says it once, and the next reads go straight to the script.
      assert.match(readRefusal(refused, 'pipelined') ?? '', /NOPERM.*getrange/i);
      assert.equal(readRefusal(handle, 'pipelined'), undefined);
      // Granted: the script still, while the refusal stands; past its time, the plain commands again.
      await changeUserOf(redis, url, '+getrange');
      assert.equal(await readByScript(refused), true, 'the script, while the refusal stands');
      mock.timers.enable({ apis: ['Date'], now: Date.now() + REFUSAL_STANDS_MS });
      try {
        assert.equal(await readByScript(refused), false, 'the plain commands, once it no longer stands');
        assert.equal(readRefusal(refused, 'pipelined'), undefined);
      } finally {
        mock.timers.reset();
      }
    }));

  it('asks again for what Redis refused once the connection reconnects', () =>
    withoutGetrange(async (refused, url) => {
      assert.equal(await readByScript(refused), true, 'the script read them');
      await changeUserOf(redis, url, '+getrange');
      await killConnectionsOf(redis, url);
      await waitFor(() => (readRefusal(refused, 'pipelined') === undefined && refused.ready()) || undefined, 5_000, 'a new connection');
      assert.equal(await readByScript(refused), false, 'the plain commands read them');
    }));

  it('fails at its timeout while Redis is frozen, opening or not, and reads again once it is back', async () => {
    const quick = await connected(server.url, 300);
    try {
      await boundedGetChunkWithTtl(quick, keys, MAX_HEARTBEAT_BYTES);
      server.pause();
      const started = performance.now();
      try {
        await assert.rejects(boundedGetChunkWithTtl(quick, keys, MAX_HEARTBEAT_BYTES), /did not answer/);
        assert.ok(performance.now() - started < 2_000, `gave up after ${performance.now() - started} ms`);
        // A new connection, unanswered too: a slow Redis, not one that refused it (no read through the client).
        await assert.rejects(boundedGetChunkWithTtl(quick, keys, MAX_HEARTBEAT_BYTES), /did not answer 1 reads/);
        assert.equal(quick.pipelined.unopened(), undefined);
      } finally {
        server.resume();
      }
      assertRead(await boundedGetChunkWithTtl(quick, keys, MAX_HEARTBEAT_BYTES));
    } finally {
      await quick.close();
    }
  });

  it('stops at an abort, and after its connection is killed reads on a new one', async () => {
    const controller = new AbortController();
    const aborted = boundedGetChunkWithTtl(handle, keys, MAX_HEARTBEAT_BYTES, controller.signal);
    controller.abort(new Error('poll deadline'));
    await assert.rejects(aborted, /poll deadline/);
    assertRead(await boundedGetChunkWithTtl(handle, keys, MAX_HEARTBEAT_BYTES));
    assert.equal(await killClients(redis, 'pulse-bridge-read'), 1);
    // The close may land before or during the next read: either that read fails, or it runs on a new connection.
    await boundedGetChunkWithTtl(handle, keys, MAX_HEARTBEAT_BYTES).catch(() => {});
    assertRead(await boundedGetChunkWithTtl(handle, keys, MAX_HEARTBEAT_BYTES));
    assert.equal(await killClients(redis, 'pulse-bridge-read'), 1, 'one connection, opened again');
  });

  it('reads through the client while Redis takes no new connection (maxclients), says why, then on its own again', async () => {
    // The test before killed the read connection as it ended: a first read may still meet it.
    await boundedGetChunkWithTtl(handle, keys, MAX_HEARTBEAT_BYTES).catch(() => {});
    assertRead(await boundedGetChunkWithTtl(handle, keys, MAX_HEARTBEAT_BYTES));
    assert.deepEqual(handle.awayConnections(), []);
    await withOneKilledAtMaxclients(redis, 'pulse-bridge-read', async () => {
      // The first read may still meet the killed connection; the one after opens a new one, which Redis refuses.
      await boundedGetChunkWithTtl(handle, keys, MAX_HEARTBEAT_BYTES).catch(() => {});
      assert.equal(await readByScript(handle), true, 'read through the client, by the script');
      assert.match(handle.pipelined.unopened()?.message ?? '', /ERR max number of clients reached/);
      assert.deepEqual(handle.awayConnections(), [{ connection: 'read', why: 'ERR max number of clients reached' }]);
      assert.equal(await killClients(redis, 'pulse-bridge-read'), 0, 'no read connection');
    });
    assert.equal(await readByScript(handle), false, 'on its own connection again');
    assert.equal(handle.pipelined.unopened(), undefined);
    assert.deepEqual(handle.awayConnections(), []);
    assert.equal(await killClients(redis, 'pulse-bridge-read'), 1);
  });
});

describe('pipelined heartbeat read on a Redis Cluster', { timeout: 60_000 }, () => {
  const suite = suiteCluster();

  /** 200 keys of `app`, on every master, each with its value (`expected`), and a handle that knows the masters. */
  async function keysAcrossTheMasters(app: string) {
    const keys = Array.from({ length: 200 }, (_, i) => heartbeatKey(app, `s-${i}`));
    for (const [i, key] of keys.entries()) await suite.writer.set(key, `v${i}`, 'PX', 60_000);
    const handle = connectRedis(suite.cluster.seeds, { timeoutMs: 5_000 });
    while (!handle.ready() || handle.masters().length < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    return { keys, expected: keys.map((_, i) => `v${i}`), handle };
  }

  it('reads each key on its slot’s master in plain commands, and a key whose slot moved through the client', async () => {
    const { keys, expected, handle } = await keysAcrossTheMasters('pipelined');
    try {
      const masters = suite.writer.nodes('master');
      const calls = async (...commands: string[]) =>
        (await Promise.all(masters.map((master) => commandCalls(master, ...commands)))).reduce((a, b) => a + b, 0);
      const scripts = await calls('evalsha', 'eval');
      const ranges = await calls('getrange');
      const read = await boundedGetChunkWithTtl(handle, keys, MAX_HEARTBEAT_BYTES);
      assert.deepEqual(read.values, expected);
      assert.ok(
        read.ttlMs.every((ttl) => ttl > 0 && ttl <= 60_000),
        `times to live: ${read.ttlMs.slice(0, 5).join(', ')}…`,
      );
      assert.equal(await calls('evalsha', 'eval'), scripts, 'no script ran');
      assert.equal((await calls('getrange')) - ranges, keys.length, 'one GETRANGE per key, across the masters');
      for (const master of masters)
        assert.match(
          (await master.call('CLIENT', 'LIST')) as string,
          /name=pulse-bridge-read /,
          `a read connection on ${master.options.port}`,
        );
      // A slot moved behind the handle's back: its keys answer MOVED where the handle sends them, and are read
      // through the cluster client, which follows the redirection.
      const { keys: moved } = await moveSlot(suite.writer, calculateSlot(keys[0] as string));
      assert.ok(moved.length > 0, 'keys moved');
      const again = await boundedGetChunkWithTtl(handle, keys, MAX_HEARTBEAT_BYTES);
      assert.deepEqual(again.values, expected);
      assert.ok(again.ttlMs.every((ttl) => ttl > 0 && ttl <= 60_000));
      assert.ok((await calls('evalsha', 'eval')) > scripts, 'the moved keys were read through the client');
    } finally {
      await handle.close();
    }
  });

  it('reads a master’s keys through the cluster client while it takes no new read connection (maxclients), the others’ as before', async () => {
    const { keys, expected, handle } = await keysAcrossTheMasters('crowded');
    try {
      assert.deepEqual((await boundedGetChunkWithTtl(handle, keys, MAX_HEARTBEAT_BYTES)).values, expected);
      const masters = suite.writer.nodes('master');
      const [crowded] = masters;
      const scripts = () => Promise.all(masters.map((master) => commandCalls(master, 'evalsha', 'eval')));
      const scriptsBefore = await scripts();
      await withOneKilledAtMaxclients(crowded as Redis, 'pulse-bridge-read', async () => {
        // The first read may still meet the killed connection; the one after opens a new one, which Redis refuses.
        await boundedGetChunkWithTtl(handle, keys, MAX_HEARTBEAT_BYTES).catch(() => {});
        assert.deepEqual((await boundedGetChunkWithTtl(handle, keys, MAX_HEARTBEAT_BYTES)).values, expected);
        // Only that master's keys through the cluster client (by the script): the others' on their own connections.
        const scriptsNow = await scripts();
        assert.ok((scriptsNow[0] as number) > (scriptsBefore[0] as number), 'scripts on the crowded master');
        assert.deepEqual(scriptsNow.slice(1), scriptsBefore.slice(1), 'none on the others');
        const [away, ...more] = handle.awayConnections();
        assert.deepEqual(more, []);
        assert.equal(away?.connection, 'read');
        // A cluster node's words: `ERR max number of clients + cluster connections reached`.
        assert.match(away?.why ?? '', /^ERR max number of clients/);
      });
      assert.deepEqual((await boundedGetChunkWithTtl(handle, keys, MAX_HEARTBEAT_BYTES)).values, expected);
      assert.deepEqual(handle.awayConnections(), []);
    } finally {
      await handle.close();
    }
  });
});
