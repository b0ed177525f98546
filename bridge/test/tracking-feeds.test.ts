// Reads proportional to change (issue 26), the apps' feeds and the snapshot: a tracking bridge reads an app's slow
// stream or exception set only when Redis said it changed, and rebuilds the snapshot only when something in it
// changed. Random entries, deleted feeds, FLUSHDB and killed feed connections on a real redis-server: after every
// poll, every entry in Redis was delivered exactly once, and a poll in which nothing changed read no feed.
// The seed is printed on failure; TRACKING_SEED=<n> replays it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errorsKey, heartbeatKey, slowKey, slowStreamFields } from '@gravito/pulse-protocol';
import { seededRandom, startRedis, type TestRedis } from '@gravito/pulse-testkit';
import type { Redis } from 'ioredis';
import { MonitorService } from '../src/monitor/monitor-service.js';
import { connectRedis, type RedisHandle } from '../src/redis/connection.js';
import { errorEntry, heartbeat, killClients, rareSchedule, silentLogger, slowEntry } from './helpers.js';

const SEED = Number(process.env.TRACKING_SEED ?? Math.floor(Math.random() * 2 ** 31));
const STEPS = Number(process.env.TRACKING_STEPS ?? 150);
const APPS = ['app-0', 'app-1', 'app-2'];

/** Calls so far of the commands that read a feed (INFO commandstats). */
async function feedReads(redis: Redis): Promise<number> {
  const stats = await redis.info('commandstats');
  let calls = 0;
  for (const command of ['xrange', 'xrevrange', 'zrevrangebyscore'])
    calls += Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
  return calls;
}

async function pollOk(monitor: MonitorService): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    await monitor.tick();
    if (monitor.polls.ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail('no poll succeeded');
}

describe('tracked feed reads and snapshot reuse', { timeout: 120_000 }, () => {
  let server: TestRedis;
  let redis: Redis;
  let handle: RedisHandle;
  let monitor: MonitorService;

  before(async () => {
    server = await startRedis();
    redis = server.client();
    handle = connectRedis(server.url, { timeoutMs: 2_000 });
    monitor = new MonitorService(
      handle,
      { intervalMs: 60_000, lostAfterMs: 60_000, forgetAfterMs: 600_000, tickTimeoutMs: 2_000 },
      silentLogger,
    );
  });

  after(async () => {
    await monitor?.stop();
    await handle?.close();
    await server?.stop();
  });

  it(`delivers every entry once, reading only the feeds that changed (seed ${SEED})`, async () => {
    const next = seededRandom(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
    const slowSeen = new Map<string, number>();
    const errorsSeen = new Map<string, number>();
    const count = (seen: Map<string, number>, id: string) => seen.set(id, (seen.get(id) ?? 0) + 1);
    monitor.subscribe({
      slow: (events) => {
        for (const e of events) count(slowSeen, `${e.app} ${e.stream_id}`);
      },
      error: (events) => {
        for (const e of events) count(errorsSeen, e.entry.id);
      },
    });
    // One heartbeat per app, so that every app is followed from the second poll on (remembered when flushed).
    const anchors = () => Promise.all(APPS.map((app) => redis.set(heartbeatKey(app, 'anchor'), JSON.stringify(heartbeat(app, 'anchor')))));
    await anchors();
    await pollOk(monitor);
    await pollOk(monitor);
    assert.equal(monitor.heartbeats.path, 'tracking');

    const ops: Record<string, () => Promise<unknown>> = {
      'slow entry': () => redis.xadd(slowKey(pick(APPS)), '*', ...slowStreamFields(slowEntry())),
      exception: () => {
        const app = pick(APPS);
        const entry = errorEntry(app);
        return redis.zadd(errorsKey(app), entry.timestamp, JSON.stringify(entry));
      },
      'delete a slow stream': () => redis.del(slowKey(pick(APPS))),
      'delete an exception set': () => redis.del(errorsKey(pick(APPS))),
      FLUSHDB: async () => {
        await redis.flushdb();
        await anchors();
      },
      'feed connection killed': () => killClients(redis, 'pulse-bridge-track'),
    };
    // The common writes at random; each rare case once in about `every` steps, from a random step of each such span
    // (at the first step from there that writes, at a random place among its writes), so that it is met about
    // STEPS / every times whatever the seed, and the quiet steps stay quiet.
    const common = ['slow entry', 'exception'];
    const rare = [
      ['delete a slow stream', 15],
      ['delete an exception set', 15],
      ['FLUSHDB', 25],
      ['feed connection killed', 20],
    ] as const;
    const rareDue = rareSchedule(next, rare);
    /** The rare cases whose step has come, waiting for a step that writes. */
    const waiting = new Set<string>();
    const met = new Map<string, number>();
    let quiet = 0;
    let quietWithReads = 0;
    let resynced = true;
    for (let step = 0; step < STEPS; step++) {
      // Every third poll follows a step in which nothing was written (all but those after a resync are quiet polls).
      const done = step % 3 === 2 ? [] : Array.from({ length: 1 + Math.floor(next() * 4) }, () => pick(common));
      for (const name of rareDue(step)) waiting.add(name);
      if (done.length > 0) {
        for (const name of waiting) done.splice(Math.floor(next() * (done.length + 1)), 0, name);
        waiting.clear();
      }
      for (const name of done) {
        await ops[name]?.();
        met.set(name, (met.get(name) ?? 0) + 1);
      }
      const readsBefore = await feedReads(redis);
      await pollOk(monitor);
      const reads = (await feedReads(redis)) - readsBefore;
      if (done.length === 0 && !resynced) {
        quiet++;
        if (reads > 0) quietWithReads++;
      }
      // A poll after a flush or a killed feed reads every feed; the one after it is a quiet one again.
      resynced = done.includes('FLUSHDB') || done.includes('feed connection killed');
      const context = `step ${step} after ${done.join(', ') || 'nothing'}: replay with TRACKING_SEED=${SEED}`;
      for (const [id, n] of [...slowSeen, ...errorsSeen]) assert.equal(n, 1, `${id} delivered ${n} times, ${context}`);
      for (const app of APPS) {
        for (const [id] of await redis.xrange(slowKey(app), '-', '+'))
          assert.ok(slowSeen.has(`${app} ${id}`), `slow entry ${app} ${id} in Redis never delivered, ${context}`);
        for (const member of await redis.zrange(errorsKey(app), '0', '-1')) {
          const id = JSON.parse(member).id as string;
          assert.ok(errorsSeen.has(id), `exception ${id} in Redis never delivered, ${context}`);
        }
      }
    }
    console.log(`seed ${SEED}, ${STEPS} steps, ${quiet} quiet polls (${quietWithReads} read a feed); met:`, Object.fromEntries(met));
    assert.ok(quiet >= STEPS / 5, `only ${quiet} quiet polls`);
    assert.equal(quietWithReads, 0, 'a poll after a step that changed no feed read one');
    for (const name of [...common, ...rare.map(([name]) => name)])
      assert.ok((met.get(name) ?? 0) >= 2, `${name} met ${met.get(name) ?? 0} times (seed ${SEED})`);
    assert.ok(slowSeen.size > 50 && errorsSeen.size > 50, 'too few entries to mean anything');
  });

  it('reuses the snapshot while nothing changed, and still turns a silent server lost on time', async () => {
    await redis.flushdb();
    // Lost 3 × interval_ms after its timestamp: 600 ms.
    await redis.set(heartbeatKey('quiet', 'srv'), JSON.stringify(heartbeat('quiet', 'srv', (hb) => (hb.meta.interval_ms = 200))));
    await pollOk(monitor);
    await pollOk(monitor);
    const first = monitor.lastSnapshot();
    const status = () => monitor.lastSnapshot().event.apps.find((a) => a.app === 'quiet')?.servers[0]?.status;
    assert.equal(status(), 'online');
    await pollOk(monitor);
    const reused = monitor.lastSnapshot();
    assert.equal(reused.document.apps, first.document.apps, 'nothing changed: the encoded apps are reused');
    assert.notEqual(reused.event.timestamp, undefined);
    assert.ok(reused.document.head.toString().includes(`"timestamp":${reused.event.timestamp}`), 'the head is new');
    await new Promise((resolve) => setTimeout(resolve, 700));
    await pollOk(monitor);
    assert.equal(status(), 'lost', 'no write, yet lost on time');
    assert.notEqual(monitor.lastSnapshot().document.apps.get('quiet'), first.document.apps.get('quiet'));
  });

  it('sends one PING a poll, the feed barrier, and keeps its round trip as the liveness figure', async () => {
    await pollOk(monitor);
    assert.equal(monitor.heartbeats.path, 'tracking');
    const pings = async () => Number(/cmdstat_ping:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0);
    const before = await pings();
    const roundTrips: number[] = [];
    for (let poll = 0; poll < 5; poll++) {
      await pollOk(monitor);
      roundTrips.push(monitor.liveness.lastRoundTripMs ?? Number.NaN);
    }
    assert.equal((await pings()) - before, 5, 'one PING per poll');
    assert.ok(
      roundTrips.every((ms) => ms > 0 && ms < 2_000),
      `round trips ${roundTrips}`,
    );
    assert.ok(new Set(roundTrips).size > 1, `each poll times its own: ${roundTrips}`);
  });
});
