// Hostile or broken data in a real Redis, skewed clocks, misbehaving sockets, a full Redis: one case per class.
// For each: the other apps keep flowing, the bad input is counted and logged once, and the bridge recovers
// within one poll interval once the bad data is gone. Redis's own view is checked too: the output buffer
// (CLIENT LIST omem) of the bridge's connections, and used_memory_peak against the bytes written.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  errorMember,
  errorsKey,
  heartbeatKey,
  PULSE_EVENTS,
  type PulseErrorEvent,
  type PulseSlowEvent,
  type PulseStatusEvent,
  type SystemPulseEvent,
  slowKey,
  slowStreamFields,
} from '@gravito/pulse-protocol';
import { startRedis, type TestRedis } from '@gravito/pulse-testkit';
import type { Redis } from 'ioredis';
import type { BridgeInternals as Bridge } from '../src/assemble.js';
import { API_READ_BYTES } from '../src/outputs/http/api.js';
import {
  HEADERS_TIMEOUT_MS,
  IDLE_SOCKET_TIMEOUT_MS,
  REQUEST_TIMEOUT_MS,
  TIMEOUT_CHECK_INTERVAL_MS,
} from '../src/outputs/http/server-limits.js';
import { errorEntry, getJson, heartbeat, SseClient, slowEntry, startLoggedBridge, waitFor, writeHeartbeat } from './helpers.js';

const INTERVAL_MS = 200;
/** Documented bound of the bridge's output buffer in Redis (bridge README, "Threat model and limits"). */
const OMEM_BOUND = 16 * 1024 * 1024;

/** Largest output buffer Redis holds for the bridge's connections now (CLIENT LIST omem), bytes. */
async function bridgeOmem(redis: Redis): Promise<number> {
  const list = (await redis.client('LIST')) as string;
  let max = 0;
  for (const line of list.split('\n')) {
    if (!/ name=pulse-bridge/.test(line)) continue;
    max = Math.max(max, Number(/ omem=(\d+)/.exec(line)?.[1] ?? 0));
  }
  return max;
}

/** Samples the bridge's omem every 10 ms until stopped; resolves with the largest seen. */
function sampleOmem(redis: Redis): { stop: () => Promise<number> } {
  let max = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      max = Math.max(max, await bridgeOmem(redis));
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return max;
    },
  };
}

async function memoryInfo(redis: Redis): Promise<{ used: number; peak: number }> {
  const info = await redis.info('memory');
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1]);
  return { used: field('used_memory'), peak: field('used_memory_peak') };
}

const logsMatching = (logs: Array<Record<string, unknown>>, test: (line: Record<string, unknown>) => boolean) => logs.filter(test).length;

/** Waits for `ticks` more completed polls. */
async function ticks(bridge: Bridge, count: number): Promise<void> {
  const target = bridge.monitor.ticks + count;
  await waitFor(() => bridge.monitor.ticks >= target, count * INTERVAL_MS * 10 + 2_000, `${count} polls`);
}

/** Writes one slow entry and one exception for `app`, and waits until both arrive on the SSE stream. */
async function assertFlowing(redis: Redis, sse: SseClient, app: string, within: number): Promise<void> {
  const route = `/flow/${Math.random().toString(36).slice(2)}`;
  const error = errorEntry(app);
  const from = sse.events.length;
  await redis.xadd(slowKey(app), '*', ...slowStreamFields(slowEntry({ route, name: `GET ${route}` })));
  await redis.zadd(errorsKey(app), error.timestamp, errorMember(error).member);
  await sse.waitFor<PulseSlowEvent>(PULSE_EVENTS.slow, (e) => e.app === app && e.entry.route === route, within, from);
  await sse.waitFor<PulseErrorEvent>(PULSE_EVENTS.error, (e) => e.app === app && e.entry.id === error.id, within, from);
}

const counter = (text: string, series: string): number =>
  Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);

describe('hostile Redis data', () => {
  let server: TestRedis;
  let redis: Redis;
  let bridge: Bridge;
  let url: string;
  let logs: Array<Record<string, unknown>>;
  let sse: SseClient;
  const GOOD = 'good-app';
  /** Within one interval once the data is fixed, plus the poll that may be running then, plus slack for a busy machine. */
  const RECOVERY_MS = INTERVAL_MS * 2 + 1_500;

  before(async () => {
    server = await startRedis();
    redis = server.client();
    await writeHeartbeat(redis, GOOD, 'web-1');
    // Servers whose key is gone are forgotten after 2 s, so that the apps-over-the-cap case leaves nothing behind.
    ({ bridge, url, logs } = await startLoggedBridge({ redisUrl: server.url, forgetAfterMs: 2_000 }, INTERVAL_MS));
    sse = await SseClient.connect(`${url}/api/pulse/stream`);
    await sse.waitFor<SystemPulseEvent>(PULSE_EVENTS.systemPulse, (e) => e.apps.some((a) => a.app === GOOD), 3_000);
  });
  after(async () => {
    await sse?.close();
    await bridge?.stop(2_000);
    await server?.stop();
  });

  it('oversized heartbeat values: read once as a length, never as a value; counted and logged once', async () => {
    const before = await memoryInfo(redis);
    const omem = sampleOmem(redis);
    const big = 'x'.repeat(5 * 1024 * 1024);
    const keys = [1, 2, 3].map((i) => heartbeatKey('big', `h${i}`));
    const invalidBefore = bridge.monitor.invalid.counts.heartbeat;
    for (const key of keys) await redis.set(key, big, 'EX', 60);
    await ticks(bridge, 5);
    assert.equal(bridge.monitor.invalid.counts.heartbeat - invalidBefore, 3, 'each key counted once, not once per poll');
    for (const key of keys) {
      assert.equal(
        logsMatching(logs, (l) => l.key === key && /over the 65536-byte limit/.test(String(l.reason))),
        1,
        key,
      );
    }
    assert.equal((await getJson(`${url}/readyz`)).status, 200);
    await assertFlowing(redis, sse, GOOD, RECOVERY_MS);
    const maxOmem = await omem.stop();
    assert.ok(maxOmem < OMEM_BOUND, `bridge omem reached ${maxOmem} bytes`);
    const after = await memoryInfo(redis);
    const written = keys.length * big.length;
    assert.ok(after.peak - before.used < 2 * written, `used_memory_peak grew by ${after.peak - before.used} for ${written} bytes written`);
    // Recovery: the same key with a valid heartbeat is a server at the next poll.
    await writeHeartbeat(redis, 'big', 'h1');
    await sse.waitFor<SystemPulseEvent>(
      PULSE_EVENTS.systemPulse,
      (e) => e.apps.some((a) => a.app === 'big' && a.servers_online === 1),
      RECOVERY_MS,
      sse.events.length,
    );
    await redis.del(...keys);
  });

  it('every wrong type at every key kind: only its own app is affected, flagged, counted and logged once', async () => {
    const apps = { hash: 'wt-hash', list: 'wt-list', set: 'wt-set', zset: 'wt-zset', stream: 'wt-stream', string: 'wt-string' };
    const write: Record<keyof typeof apps, (key: string) => Promise<unknown>> = {
      hash: (key) => redis.hset(key, 'a', '1'),
      list: (key) => redis.lpush(key, 'x'),
      set: (key) => redis.sadd(key, 'x'),
      zset: (key) => redis.zadd(key, 1, 'x'),
      stream: (key) => redis.xadd(key, '*', 'a', '1'),
      string: (key) => redis.set(key, 'x'),
    };
    const heartbeatsBefore = bridge.monitor.invalid.counts.heartbeat;
    const slowBefore = bridge.monitor.invalid.counts.slow;
    const errorsBefore = bridge.monitor.invalid.counts.error;
    let badHeartbeats = 0;
    let badSlow = 0;
    let badErrors = 0;
    for (const [type, app] of Object.entries(apps) as [keyof typeof apps, string][]) {
      await writeHeartbeat(redis, app, 'web-1');
      if (type !== 'string') {
        await write[type](heartbeatKey(`${app}-hb`, 'web-1'));
        badHeartbeats++;
      }
      if (type !== 'stream') {
        await write[type](slowKey(app));
        badSlow++;
      }
      if (type !== 'zset') {
        await write[type](errorsKey(app));
        badErrors++;
      }
    }
    await ticks(bridge, 5);
    assert.equal((await getJson(`${url}/readyz`)).status, 200, 'a wrong-typed key is not Redis down');
    assert.equal(bridge.monitor.invalid.counts.heartbeat - heartbeatsBefore, badHeartbeats);
    assert.equal(bridge.monitor.invalid.counts.slow - slowBefore, badSlow);
    assert.equal(bridge.monitor.invalid.counts.error - errorsBefore, badErrors);
    assert.equal(
      logsMatching(logs, (l) => l.key === slowKey(apps.list) && /^WRONGTYPE/.test(String(l.reason))),
      1,
    );
    assert.equal(
      logsMatching(logs, (l) => l.key === heartbeatKey(`${apps.hash}-hb`, 'web-1') && /not a string/.test(String(l.reason))),
      1,
    );
    const snapshot = bridge.monitor.getAggregateMetrics();
    const feeds = Object.fromEntries(snapshot.apps.map((a) => [a.app, a.invalid_feeds]));
    assert.deepEqual(feeds[apps.hash], ['errors', 'slow']);
    assert.deepEqual(feeds[apps.stream], ['errors']);
    assert.deepEqual(feeds[apps.string], ['errors', 'slow']);
    assert.deepEqual(feeds[apps.zset], ['slow']);
    assert.equal(feeds[GOOD], undefined);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.equal(counter(metrics, 'pulse_bridge_invalid_feeds{feed="slow"}'), badSlow);
    assert.equal(counter(metrics, 'pulse_bridge_invalid_feeds{feed="errors"}'), badErrors);
    await assertFlowing(redis, sse, GOOD, RECOVERY_MS);

    // Fixed: the app's feeds are readable at the next poll, and its new entries arrive.
    for (const app of Object.values(apps)) await redis.del(slowKey(app), errorsKey(app), heartbeatKey(`${app}-hb`, 'web-1'));
    await waitFor(() => bridge.monitor.getAggregateMetrics().apps.every((a) => a.invalid_feeds === undefined), RECOVERY_MS, 'feeds valid');
    await assertFlowing(redis, sse, apps.list, RECOVERY_MS);
    assert.equal(bridge.monitor.invalid.counts.slow - slowBefore, badSlow, 'nothing counted twice');
  });

  it('an exception scored 2 minutes ahead does not hide later ones; a +inf member is reported once', async () => {
    const app = 'skewed';
    await writeHeartbeat(redis, app, 'web-1');
    await waitFor(() => bridge.monitor.getAggregateMetrics().apps.some((a) => a.app === app), RECOVERY_MS, 'app seen');
    await ticks(bridge, 2); // followed from now on
    const from = sse.events.length;
    const ahead = errorEntry(app, { timestamp: Date.now() + 120_000 });
    await redis.zadd(errorsKey(app), ahead.timestamp, errorMember(ahead).member);
    const infinite = errorEntry(app);
    await redis.zadd(errorsKey(app), '+inf', errorMember(infinite).member);
    const aheadEvent = await sse.waitFor<PulseErrorEvent>(PULSE_EVENTS.error, (e) => e.entry.id === ahead.id, RECOVERY_MS, from);
    assert.ok(aheadEvent.entry.timestamp <= Date.now(), 'the future timestamp is clamped to the bridge clock');
    // Later exceptions, on time: each arrives within one interval.
    for (let i = 0; i < 3; i++) {
      const later = errorEntry(app);
      await redis.zadd(errorsKey(app), later.timestamp, errorMember(later).member);
      await sse.waitFor<PulseErrorEvent>(PULSE_EVENTS.error, (e) => e.entry.id === later.id, RECOVERY_MS, from);
    }
    await ticks(bridge, 5);
    assert.equal(sse.of<PulseErrorEvent>(PULSE_EVENTS.error).filter((e) => e.entry.id === infinite.id).length, 1, '+inf reported once');
    assert.equal(sse.of<PulseErrorEvent>(PULSE_EVENTS.error).filter((e) => e.entry.id === ahead.id).length, 1);
    assert.ok(bridge.monitor.clock.future.error >= 1);
    assert.equal(
      logsMatching(logs, (l) => l.kind === 'error' && l.app === app && /from the future/.test(String(l.msg))),
      1,
    );
    await redis.del(errorsKey(app));
  });

  it('a heartbeat stamped 10 years ahead is judged on the bridge clock: lost one lost-after later', async () => {
    const app = 'future-hb';
    await writeHeartbeat(redis, app, 'web-1', (hb) => {
      hb.timestamp = Date.now() + 10 * 365 * 86_400_000;
      hb.meta.interval_ms = 200; // lost after 3 × 200 ms
    });
    const seen = await waitFor(
      () => bridge.monitor.getAggregateMetrics().apps.find((a) => a.app === app)?.servers[0],
      RECOVERY_MS,
      'server seen',
    );
    assert.ok(seen.last_seen <= Date.now(), 'last_seen on the bridge clock');
    await waitFor(
      () => bridge.monitor.getAggregateMetrics().apps.find((a) => a.app === app)?.servers[0]?.status === 'lost',
      600 + RECOVERY_MS,
      'lost while its key is still there',
    );
    assert.equal(await redis.exists(heartbeatKey(app, 'web-1')), 1);
    assert.ok(bridge.monitor.clock.future.heartbeat >= 1);
    // A heartbeat from the past is lost at once, as before.
    await writeHeartbeat(redis, 'past-hb', 'web-1', (hb) => {
      hb.timestamp = Date.now() - 3_600_000;
    });
    await waitFor(
      () => bridge.monitor.getAggregateMetrics().apps.find((a) => a.app === 'past-hb')?.servers[0]?.status === 'lost',
      RECOVERY_MS,
      'past heartbeat lost',
    );
    await redis.del(heartbeatKey(app, 'web-1'), heartbeatKey('past-hb', 'web-1'));
  });

  it('idle and half-open sockets are closed; /healthz answers meanwhile; SSE streams stay', async () => {
    assert.equal(bridge.server.timeout, IDLE_SOCKET_TIMEOUT_MS);
    assert.equal(bridge.server.headersTimeout, HEADERS_TIMEOUT_MS);
    assert.equal(bridge.server.requestTimeout, REQUEST_TIMEOUT_MS);
    // The same mechanism, shortened so the test does not wait 30 s.
    bridge.server.timeout = 300;
    const stream = await SseClient.connect(`${url}/api/pulse/stream`);
    const { port } = new URL(url);
    const sockets: Socket[] = [];
    const closed: Promise<void>[] = [];
    for (let i = 0; i < 100; i++) {
      const socket = connect(Number(port), '127.0.0.1');
      socket.on('error', () => {});
      // Half of them send part of a request line and then nothing (half-open from the server's view).
      if (i % 2 === 1) socket.write('GET /metrics HTTP/1.1\r\nHost: x');
      sockets.push(socket);
      closed.push(new Promise((resolve) => socket.on('close', () => resolve())));
    }
    assert.equal((await getJson(`${url}/healthz`)).status, 200);
    await Promise.race([
      Promise.all(closed),
      new Promise((_, reject) => setTimeout(() => reject(new Error('idle sockets still open')), 5_000)),
    ]);
    assert.equal(stream.ended, false, 'the SSE stream is exempt from the idle timeout');
    const count = stream.events.length;
    await stream.waitFor(PULSE_EVENTS.systemPulse, () => true, RECOVERY_MS, count);
    await stream.close();
    bridge.server.timeout = IDLE_SOCKET_TIMEOUT_MS;
  });

  it('a request whose headers trickle in is answered 408 and closed at the headers timeout, not 30 s later', async () => {
    // Shortened as above; Node checks it every TIMEOUT_CHECK_INTERVAL_MS (its own default is every 30 s).
    bridge.server.headersTimeout = 500;
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    socket.on('error', () => {});
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString();
    });
    const opened = performance.now();
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    // A header byte every 100 ms: never idle, never complete.
    const trickle = setInterval(() => socket.write('x'), 100);
    try {
      const closedAfterMs = await Promise.race([
        new Promise<number>((resolve) => socket.on('close', () => resolve(performance.now() - opened))),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('still open after 10 s')), 10_000)),
      ]);
      assert.ok(closedAfterMs < 500 + TIMEOUT_CHECK_INTERVAL_MS + 1_000, `closed after ${closedAfterMs.toFixed(0)} ms`);
      assert.match(answer, /^HTTP\/1\.1 408 /);
    } finally {
      clearInterval(trickle);
      socket.destroy();
      bridge.server.headersTimeout = HEADERS_TIMEOUT_MS;
    }
  });

  it('JSON answers carry nosniff', async () => {
    const res = await fetch(`${url}/api/pulse/servers`);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    await res.body?.cancel();
  });

  it('a stream of 1,000 × 100 KB entries read by 20 concurrent API callers: bounded reads, Redis and the bridge stay up', async () => {
    const app = 'fat-slow';
    const fat = slowEntry({ name: 'x'.repeat(100 * 1024) });
    // In batches, so that Redis's query buffer while writing does not set the peak measured below.
    for (let batch = 0; batch < 10; batch++) {
      const pipeline = redis.pipeline();
      for (let i = 0; i < 100; i++) pipeline.xadd(slowKey(app), '*', 'entry', JSON.stringify(fat));
      await pipeline.exec();
    }
    const written = 1_000 * JSON.stringify(fat).length;
    const before = await memoryInfo(redis);
    const omem = sampleOmem(redis);
    const answers = await Promise.all(Array.from({ length: 20 }, () => getJson(`${url}/api/pulse/slow?app=${app}&limit=1000`)));
    for (const answer of answers) {
      assert.ok(answer.status === 200 || answer.status === 503, String(answer.status));
      if (answer.status === 200) {
        assert.equal(answer.body.truncated, true, 'cut short at the byte bound');
        assert.deepEqual(answer.body.entries, []); // every entry is over the 8 KiB limit
      }
    }
    assert.ok(answers.some((a) => a.status === 200));
    assert.equal((await getJson(`${url}/readyz`)).status, 200);
    const maxOmem = await omem.stop();
    assert.ok(maxOmem < OMEM_BOUND, `bridge omem reached ${maxOmem} bytes`);
    const after = await memoryInfo(redis);
    assert.ok(after.peak - before.used < written, `used_memory_peak grew by ${after.peak - before.used}`);
    assert.ok(API_READ_BYTES < OMEM_BOUND);
    await assertFlowing(redis, sse, GOOD, RECOVERY_MS);
    await redis.del(slowKey(app));
  });

  it('apps past the cap and exceptions past the read limit are counted and logged once', async () => {
    // A thousand apps make every system_pulse large: the suite's SSE client is closed meanwhile (it keeps them all).
    await sse.close();
    const floodIds = new Set<string>();
    const unsubscribe = bridge.monitor.subscribe({
      error: (events) => {
        for (const e of events) floodIds.add(e.entry.id);
      },
    });
    // Apps sort by name: the flood app comes first (followed), the zz-cap-* apps past the 1,000th are not.
    const flood = 'aa-flood';
    await writeHeartbeat(redis, flood, 'web-1');
    await waitFor(() => bridge.monitor.getAggregateMetrics().apps.some((a) => a.app === flood), RECOVERY_MS, 'flood app seen');
    await ticks(bridge, 2); // followed from here on
    const pipeline = redis.pipeline();
    for (let i = 0; i < 1_003; i++) {
      const app = `zz-cap-${String(i).padStart(4, '0')}`;
      pipeline.set(heartbeatKey(app, 'web-1'), JSON.stringify(heartbeat(app, 'web-1')), 'EX', 30);
    }
    await pipeline.exec();
    await waitFor(() => bridge.monitor.caps.counts.apps > 0, 10_000, 'app cap reached');
    const members = redis.pipeline();
    const now = Date.now();
    let newest = '';
    for (let i = 0; i < 2_100; i++) {
      const entry = errorEntry(flood, { timestamp: now - 2_100 + i });
      members.zadd(errorsKey(flood), entry.timestamp, errorMember(entry).member);
      newest = entry.id;
    }
    await members.exec();
    await waitFor(() => bridge.monitor.caps.counts.exceptions >= 100, 5_000, 'exception cap reached');
    await ticks(bridge, 3);
    assert.equal(
      logsMatching(logs, (l) => l.cap === 'apps'),
      1,
    );
    assert.equal(
      logsMatching(logs, (l) => l.cap === 'exceptions'),
      1,
    );
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.ok(counter(metrics, 'pulse_bridge_cap_reached_total{cap="apps"}') >= 3);
    // Counted once: the same apps left out at every poll are not counted again.
    const once = bridge.monitor.caps.counts.apps;
    await ticks(bridge, 2);
    assert.equal(bridge.monitor.caps.counts.apps, once);
    assert.ok(counter(metrics, 'pulse_bridge_cap_reached_total{cap="exceptions"}') >= 100);
    // The newest exceptions are the ones read: the last one written arrived.
    await waitFor(() => floodIds.has(newest), 5_000, 'the newest exceptions read');
    unsubscribe();
    await redis.del(...(await redis.keys('pulse:server:zz-cap-*')), errorsKey(flood), heartbeatKey(flood, 'web-1'));
    // Forgotten 2 s after their keys went: no app is left out any more.
    const capsBefore = bridge.monitor.caps.counts.apps;
    await waitFor(() => bridge.monitor.getAggregateMetrics().apps.every((a) => !a.app.startsWith('zz-cap-')), 5_000, 'cap apps forgotten');
    await ticks(bridge, 2);
    const settled = bridge.monitor.caps.counts.apps;
    await ticks(bridge, 2);
    assert.equal(bridge.monitor.caps.counts.apps, settled);
    assert.ok(settled >= capsBefore);
    sse = await SseClient.connect(`${url}/api/pulse/stream`);
    await assertFlowing(redis, sse, GOOD, RECOVERY_MS);
  });

  it('a full Redis (maxmemory, noeviction) is told apart from a dead fleet', async () => {
    const statusFrom = sse.events.length;
    const { used } = await memoryInfo(redis);
    await redis.config('SET', 'maxmemory-policy', 'noeviction');
    await redis.config('SET', 'maxmemory', String(used + 256 * 1024));
    // Fill it until Redis refuses writes.
    let refused = false;
    for (let i = 0; i < 1_000 && !refused; i++) {
      try {
        await redis.set(`filler:${i}`, 'x'.repeat(16 * 1024));
      } catch (err) {
        refused = /OOM/.test((err as Error).message);
      }
    }
    assert.ok(refused, 'Redis refuses writes');
    const oom = await sse.waitFor<PulseStatusEvent>(PULSE_EVENTS.status, (e) => e.redis_oom === true, 5_000, statusFrom);
    assert.equal(oom.redis_up, true);
    assert.equal((await getJson(`${url}/readyz`)).status, 200);
    assert.match(await (await fetch(`${url}/metrics`)).text(), /^pulse_bridge_redis_oom 1$/m);
    assert.equal(
      logsMatching(logs, (l) => /out of memory/.test(String(l.msg))),
      1,
    );
    await redis.config('SET', 'maxmemory', '0');
    await sse.waitFor<PulseStatusEvent>(PULSE_EVENTS.status, (e) => e.redis_oom === false, 5_000, statusFrom);
    assert.match(await (await fetch(`${url}/metrics`)).text(), /^pulse_bridge_redis_oom 0$/m);
    await redis.del(...(await redis.keys('filler:*')));
  });
});
