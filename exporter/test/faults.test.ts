import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRedis, type TestRedis } from '@gravito/pulse-testkit';
import type { Redis } from 'ioredis';
import { type AppProcess, assertCleanStderr, FAULT_APP, get, sleep, startApp, uniqueApp, waitFor } from './helpers.js';

// The app under test runs in its own process, so that its heap, its stderr ("[ioredis] Unhandled
// error event") and its unhandled rejections are its own. One app and one Redis go through
// absent → restarted → killed → restarted → paused 10 s → resumed; a second pair covers "full".
const INTERVAL_MS = 500;
const HEAP_BUDGET = 5 * 1024 * 1024;

interface Stats {
  heapUsed: number;
  droppedEntries: number;
  failedWrites: number;
  writtenHeartbeats: number;
}

async function stats(app: AppProcess): Promise<Stats> {
  return (await get(`${app.url}/stats`)).body as Stats;
}

/** HTTP keeps answering and 10,000 dropped slow spans leave the heap within budget. */
async function assertAppUnhurt(app: AppProcess, what: string): Promise<void> {
  for (const path of ['/', '/error', '/job']) {
    const res = await get(`${app.url}${path}`, 3_000);
    assert.ok(res.status === 200 || (path === '/error' && res.status === 500), `${what}: ${path} answered ${res.status}`);
  }
  const before = await stats(app);
  const burst = await get(`${app.url}/burst?n=10000`, 10_000);
  assert.equal(burst.status, 200);
  await sleep(50);
  const afterBurst = await stats(app);
  const dropped = afterBurst.droppedEntries - before.droppedEntries;
  assert.ok(dropped >= 9_000, `${what}: ${dropped} of 10,000 slow spans counted as dropped`);
  const growth = afterBurst.heapUsed - before.heapUsed;
  assert.ok(growth < HEAP_BUDGET, `${what}: heap grew ${(growth / 1048576).toFixed(2)} MB while dropping 10,000 slow spans`);
  assert.equal((await get(`${app.url}/`, 3_000)).status, 200);
  assertCleanStderr(app.stderr());
}

/** Time from now until a heartbeat newer than `since` is in Redis. */
/**
 * How long after `since` the exporter stamped its first heartbeat: read from the heartbeat's own timestamp, so the
 * figure is the exporter's, not this test's polling delay on a loaded machine.
 */
async function heartbeatAfter(client: Redis, appName: string, since: number, timeoutMs: number): Promise<number> {
  return waitFor(
    'a fresh heartbeat',
    async () => {
      const keys = await client.keys(`pulse:server:${appName}:*`);
      if (keys.length === 0) return undefined;
      const raw = await client.get(keys[0] as string);
      const stamped = raw ? (JSON.parse(raw).timestamp as number) : 0;
      return stamped > since ? stamped - since : undefined;
    },
    timeoutMs,
    20,
  );
}

describe('faults: Redis absent, killed, paused, restarted', () => {
  let redis: TestRedis;
  let app: AppProcess;
  const appName = uniqueApp('faults');

  before(async () => {
    redis = await startRedis({ faults: true });
    await redis.kill(); // absent at start
    app = await startApp(FAULT_APP, { REDIS_URL: redis.url, PULSE_APP_NAME: appName, PULSE_INTERVAL_MS: String(INTERVAL_MS) }, [
      '--expose-gc',
    ]);
  });
  after(async () => {
    await app?.stop();
    await redis?.stop();
  });

  const fresh = () => redis.client();

  it('Redis absent at start: the app answers, drops are counted, heap stays flat', async () => {
    await sleep(INTERVAL_MS * 2);
    await assertAppUnhurt(app, 'absent');
    assert.ok((await stats(app)).writtenHeartbeats === 0);
  });

  it('Redis arrives: heartbeats start within one interval', async () => {
    await redis.restart();
    const since = Date.now();
    const took = await heartbeatAfter(fresh(), appName, since - 1, INTERVAL_MS * 6);
    assert.ok(took <= INTERVAL_MS, `first heartbeat ${took} ms after Redis came up`);
  });

  it('Redis killed mid-run: the app answers; after a restart heartbeats resume within one interval', async () => {
    await redis.kill();
    await sleep(INTERVAL_MS);
    await assertAppUnhurt(app, 'killed');
    await redis.restart();
    const since = Date.now();
    const took = await heartbeatAfter(fresh(), appName, since - 1, INTERVAL_MS * 6);
    assert.ok(took <= INTERVAL_MS, `heartbeat ${took} ms after restart`);
  });

  it('Redis paused (SIGSTOP) for 10 s: the app answers promptly; heartbeats resume within one interval', async () => {
    const client = fresh();
    await client.ping();
    await redis.pause();
    try {
      const pausedAt = Date.now();
      // Requests keep answering quickly all along, and the burst is dropped, not buffered.
      await assertAppUnhurt(app, 'paused');
      while (Date.now() - pausedAt < 10_000) {
        const t = Date.now();
        assert.equal((await get(`${app.url}/`, 2_000)).status, 200);
        assert.ok(Date.now() - t < 1_000, 'a fast request took over 1 s while Redis was paused');
        await sleep(500);
      }
    } finally {
      await redis.resume();
    }
    const since = Date.now();
    const took = await heartbeatAfter(client, appName, since - 1, INTERVAL_MS * 10);
    // The hung socket is destroyed (socketTimeout) and reconnected with a capped backoff.
    assert.ok(took <= INTERVAL_MS * 2, `heartbeat ${took} ms after resume`);
    const s = await stats(app);
    assert.ok(s.failedWrites > 0, 'failed writes are counted');
    assertCleanStderr(app.stderr());
  });

  it('the drop and failure counters reach the heartbeat', async () => {
    const client = fresh();
    await sleep(INTERVAL_MS * 2);
    const keys = await client.keys(`pulse:server:${appName}:*`);
    const hb = JSON.parse((await client.get(keys[0] as string)) as string);
    assert.ok(hb.recorder.dropped_entries >= 27_000, `dropped ${hb.recorder.dropped_entries}`);
    assert.ok(hb.recorder.failed_writes > 0);
  });
});

describe('faults: Redis full (maxmemory 1mb, noeviction)', () => {
  let redis: TestRedis;
  let app: AppProcess;
  const appName = uniqueApp('full');

  before(async () => {
    redis = await startRedis({ faults: true, args: ['--maxmemory', '1mb', '--maxmemory-policy', 'noeviction'] });
    app = await startApp(FAULT_APP, { REDIS_URL: redis.url, PULSE_APP_NAME: appName, PULSE_INTERVAL_MS: String(INTERVAL_MS) }, [
      '--expose-gc',
    ]);
  });
  after(async () => {
    await app?.stop();
    await redis?.stop();
  });

  it('writes fail while the connection stays ready: counted, never thrown; heartbeats resume when space returns', async () => {
    const client = redis.client();
    // Fill Redis until it refuses writes (an empty Redis 7 is already near 1 MB).
    const filler = 'x'.repeat(16 * 1024);
    for (let i = 0; i < 200; i++) {
      try {
        await client.set(`filler:${i}`, filler);
      } catch (err) {
        assert.match(String(err), /OOM/);
        break;
      }
    }
    await assert.rejects(client.set('probe', filler), /OOM/);
    const failedBefore = (await stats(app)).failedWrites;
    await sleep(INTERVAL_MS * 2);
    await assertAppUnhurt(app, 'full');
    await sleep(INTERVAL_MS);
    assert.ok((await stats(app)).failedWrites > failedBefore, 'OOM writes are counted as failed');
    // An empty Redis 7 already uses about 1 MB, so freeing keys is not enough: raise the limit.
    await client.flushall();
    await client.config('SET', 'maxmemory', '64mb');
    const since = Date.now();
    const took = await heartbeatAfter(client, appName, since, INTERVAL_MS * 4);
    assert.ok(took <= INTERVAL_MS + 100, `heartbeat ${took} ms after space returned`);
    assertCleanStderr(app.stderr());
  });
});
