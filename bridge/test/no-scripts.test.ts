// A Redis that refuses scripts (an ACL user without @scripting, as hardened setups grant): the bridge reads its
// values with GETRANGE instead, and sees exactly what a bridge allowed to run the script sees, bounds included;
// the Zenith mirror checks and writes in two steps instead of one script.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { heartbeatKey, MIRROR_MARK_JSON, type PulseNode, quasarNodeKey } from '@gravito/pulse-protocol';
import { addUserWithoutScripts, asUserWithoutScripts, startRedis, type TestRedis } from '@gravito/pulse-testkit';
import type { Redis } from 'ioredis';
import type { BridgeInternals as Bridge } from '../src/assemble.js';
import { commandCalls, startLoggedBridge, waitFor, writeHeartbeat } from './helpers.js';

const INTERVAL_MS = 200;
const BIG_BYTES = 5 * 1024 * 1024;

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
    const getrangeBefore = await commandCalls(redis, 'getrange');
    const ticks = withoutScripts.monitor.ticks;
    await waitFor(() => withoutScripts.monitor.ticks >= ticks + 5 && withScripts.monitor.ticks >= 5, 10_000, 'five polls each');
    assert.ok((await commandCalls(redis, 'getrange')) > getrangeBefore, 'values read with GETRANGE');
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

  it('says so in the log once for each part that changes its path: the heartbeat read and history', async () => {
    for (const part of [/^redis refuses scripts: values are read/, /^redis refuses scripts: history/]) {
      // Learned by whichever part runs a script first (the Zenith mirror, history, a read), on its own schedule.
      await waitFor(() => logs.some((l) => part.test(String(l.msg))) || undefined, 10_000, String(part));
      const said = logs.filter((l) => part.test(String(l.msg)));
      assert.equal(said.length, 1, String(part));
      assert.match(String(said[0]?.err), /^NOPERM/);
    }
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

describe('the Zenith mirror on a Redis that refuses scripts', () => {
  let server: TestRedis;
  let redis: Redis;
  let bridge: Bridge;
  let logs: Array<Record<string, unknown>>;
  // A valid node as an agent writes it (no mirror mark), at the key the mirror would use for shop/web-2.
  const cases: { valid: boolean; value: PulseNode }[] = JSON.parse(
    readFileSync(new URL('../../protocol/vectors/pulse-node.json', import.meta.url), 'utf8'),
  ).cases;
  const agentNode = JSON.stringify({ ...cases.find((c) => c.valid)?.value, service: 'shop', id: 'web-2', timestamp: Date.now() });

  before(async () => {
    server = await startRedis();
    redis = server.client();
    await addUserWithoutScripts(redis);
    await writeHeartbeat(redis, 'shop', 'web-1');
    await writeHeartbeat(redis, 'shop', 'web-2');
    await redis.set(quasarNodeKey('shop', 'web-2'), agentNode, 'EX', 60);
    ({ bridge, logs } = await startLoggedBridge(
      { redisUrl: asUserWithoutScripts(server.url), redisTimeoutMs: 1_000, zenithMirror: true },
      INTERVAL_MS,
    ));
  });
  after(async () => {
    await bridge?.stop(2_000);
    await server?.stop();
  });

  it("writes each online server's node and keeps it fresh, and leaves an agent's node alone", async () => {
    const mirror = bridge.quasar.mirror;
    assert.ok(mirror, 'the mirror is on');
    const node = await waitFor(async () => (await redis.get(quasarNodeKey('shop', 'web-1'))) ?? undefined, 5_000, 'the mirrored node');
    assert.ok(node.includes(MIRROR_MARK_JSON), 'written by the mirror');
    // Its own node is written again at every poll (SET over a value with its mark), the agent's never.
    const written = mirror.counts.written;
    const agentOwned = mirror.counts.agentOwned;
    await waitFor(() => mirror.counts.written >= written + 2 && mirror.counts.agentOwned >= agentOwned + 2, 5_000, 'two more polls');
    assert.equal(await redis.get(quasarNodeKey('shop', 'web-2')), agentNode);
    assert.equal(mirror.counts.failed, 0);
    const ttl = await redis.ttl(quasarNodeKey('shop', 'web-1'));
    assert.ok(ttl > 0 && ttl <= 30, `TTL ${ttl}`);
    const said = logs.filter((l) => /Zenith mirror: redis refuses scripts/.test(String(l.msg)));
    assert.equal(said.length, 1, 'said once, however many polls');
    assert.match(String(said[0]?.err), /^NOPERM/);
  });
});
