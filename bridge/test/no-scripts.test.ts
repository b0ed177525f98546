// A Redis that refuses scripts (an ACL user without @scripting, as hardened setups grant): the bridge reads its
// values with GETRANGE instead, and sees exactly what a bridge allowed to run the script sees, bounds included.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { heartbeatKey } from '@gravito/pulse-protocol';
import { addUserWithoutScripts, asUserWithoutScripts, startRedis, type TestRedis } from '@gravito/pulse-testkit';
import type { Redis } from 'ioredis';
import type { Bridge } from '../src/index.js';
import { startLoggedBridge, waitFor, writeHeartbeat } from './helpers.js';

const INTERVAL_MS = 200;
const BIG_BYTES = 5 * 1024 * 1024;

/** Calls of one command Redis has served (INFO commandstats). */
async function calls(redis: Redis, command: string): Promise<number> {
  const stats = await redis.info('commandstats');
  return Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
}

/** What a snapshot says, without its clock: servers with their status, and the invalid heartbeats counted. */
function seen(bridge: Bridge): { servers: string[]; invalid: number } {
  const servers = bridge.monitor.getAggregateMetrics().apps.flatMap((a) => a.servers.map((s) => `${s.app}/${s.id}:${s.status}`));
  return { servers, invalid: bridge.monitor.invalid.counts.heartbeat };
}

describe('a Redis that refuses scripts', () => {
  let server: TestRedis;
  let redis: Redis;
  let withScripts: Bridge;
  let withoutScripts: Bridge;
  let logs: Array<Record<string, unknown>>;

  before(async () => {
    server = await startRedis();
    redis = server.client();
    await addUserWithoutScripts(redis);
    await writeHeartbeat(redis, 'plain', 'web-1');
    await writeHeartbeat(redis, 'plain', 'web-2');
    await redis.set(heartbeatKey('big', 'h1'), 'x'.repeat(BIG_BYTES), 'EX', 60);
    await redis.lpush(heartbeatKey('typed', 'h1'), 'x');
    await redis.set(heartbeatKey('empty', 'h1'), '', 'EX', 60);
    ({ bridge: withoutScripts, logs } = await startLoggedBridge(
      { redisUrl: asUserWithoutScripts(server.url), redisTimeoutMs: 1_000 },
      INTERVAL_MS,
    ));
    ({ bridge: withScripts } = await startLoggedBridge({ redisUrl: server.url, redisTimeoutMs: 1_000 }, INTERVAL_MS));
  });
  after(async () => {
    await withoutScripts?.stop(2_000);
    await withScripts?.stop(2_000);
    await server?.stop();
  });

  it('reads every heartbeat with GETRANGE, and sees what a bridge allowed scripts sees', async () => {
    const getrangeBefore = await calls(redis, 'getrange');
    const ticks = withoutScripts.monitor.ticks;
    await waitFor(() => withoutScripts.monitor.ticks >= ticks + 5 && withScripts.monitor.ticks >= 5, 10_000, 'five polls each');
    assert.ok((await calls(redis, 'getrange')) > getrangeBefore, 'values read with GETRANGE');
    const expected = { servers: ['plain/web-1:online', 'plain/web-2:online'], invalid: 3 };
    assert.deepEqual(seen(withoutScripts), expected);
    assert.deepEqual(seen(withScripts), expected);
    assert.ok(withoutScripts.monitor.isRedisUp(), 'refused scripts are not Redis down');
    assert.equal(withoutScripts.monitor.failedPolls, 0);
  });

  it('reports a value over the bound by its length, a wrong type and an empty value, each in the words and once', async () => {
    const reasons = (key: string) => logs.filter((l) => l.key === key).map((l) => String(l.reason));
    assert.deepEqual(reasons(heartbeatKey('big', 'h1')), [`${BIG_BYTES} bytes, over the 65536-byte limit (not read)`]);
    assert.deepEqual(reasons(heartbeatKey('typed', 'h1')), ['not a string']);
    assert.equal(reasons(heartbeatKey('empty', 'h1')).length, 1);
    assert.match(reasons(heartbeatKey('empty', 'h1'))[0] as string, /not JSON/);
  });

  it('says so in the log once', () => {
    const said = logs.filter((l) => /redis refuses scripts/.test(String(l.msg)));
    assert.equal(said.length, 1);
    assert.match(String(said[0]?.err), /^NOPERM/);
  });

  it('keeps reading as heartbeats change', async () => {
    await writeHeartbeat(redis, 'plain', 'web-3');
    await redis.del(heartbeatKey('big', 'h1'));
    await writeHeartbeat(redis, 'big', 'h1');
    await waitFor(
      () => seen(withoutScripts).servers.includes('big/h1:online') && seen(withoutScripts).servers.includes('plain/web-3:online'),
      5_000,
      'new servers read',
    );
  });
});
