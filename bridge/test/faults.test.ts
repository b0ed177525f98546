import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PULSE_EVENTS, type PulseStatusEvent, type SystemPulseEvent } from '@gravito/pulse-protocol';
import { startRedis, type TestRedis } from '@gravito/pulse-testkit';
import { Redis } from 'ioredis';
import { MonitorService } from '../src/monitor/monitor-service.js';
import { documentBytes } from '../src/monitor/snapshot-encoding.js';
import { connectRedis } from '../src/redis/connection.js';
import { redisErrorText } from '../src/redis/error-text.js';
import {
  assertEventsMatchProtocol,
  getJson,
  SseClient,
  silentLogger,
  startBridge,
  startLoggedBridge,
  waitFor,
  writeHeartbeat,
} from './helpers.js';

const INTERVAL = 200;

/** /metrics must answer within 2 s whatever Redis does; returns the body. */
async function scrapeWithin2s(url: string): Promise<string> {
  const started = Date.now();
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2_000) });
  const text = await res.text();
  assert.equal(res.status, 200);
  assert.ok(Date.now() - started < 2_000, 'scrape within 2 s');
  return text;
}

async function expectDown(url: string, sse: SseClient, from: number): Promise<void> {
  await sse.waitFor<PulseStatusEvent>(PULSE_EVENTS.status, (s) => !s.redis_up, 5_000, from);
  await waitFor(async () => (await scrapeWithin2s(url)).includes('\npulse_bridge_redis_up 0\n'), 5_000, 'pulse_bridge_redis_up 0');
  const ready = await getJson(`${url}/readyz`);
  assert.equal(ready.status, 503);
  assert.equal((await getJson(`${url}/healthz`)).status, 200, 'the process stays alive');
  // system_pulse keeps coming, flagged redis_up false, with the last known servers
  await sse.waitFor<SystemPulseEvent>(PULSE_EVENTS.systemPulse, (e) => !e.redis_up, 3_000, from);
}

async function expectRecovered(url: string, sse: SseClient, redis: TestRedis, app: string, from: number): Promise<void> {
  const client = redis.client();
  // the fresh server is empty: a new heartbeat must come through the same SSE connection
  const writer = setInterval(() => void writeHeartbeat(client, app, 'web-1').catch(() => {}), 100);
  try {
    await sse.waitFor<PulseStatusEvent>(PULSE_EVENTS.status, (s) => s.redis_up, 10_000, from);
    await sse.waitFor<SystemPulseEvent>(PULSE_EVENTS.systemPulse, (e) => e.redis_up && e.apps.some((a) => a.app === app), 5_000, from);
    assert.ok((await scrapeWithin2s(url)).includes('\npulse_bridge_redis_up 1\n'));
    assert.equal((await getJson(`${url}/readyz`)).status, 200);
    assert.equal(sse.ended, false, 'the SSE client stayed connected throughout');
    assertEventsMatchProtocol(sse);
  } finally {
    clearInterval(writer);
  }
}

describe('faults: the bridge stays up and recovers', () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis({ faults: true });
  });
  after(async () => {
    await redis?.stop();
  });

  it('a long outage keeps the last state without building up: 50,000 failed polls', async () => {
    const handle = connectRedis('redis://127.0.0.1:1', { timeoutMs: 200 });
    const monitor = new MonitorService(
      handle,
      { intervalMs: 1_000, lostAfterMs: 15_000, forgetAfterMs: 600_000, tickTimeoutMs: 500 },
      silentLogger,
    );
    try {
      for (let i = 0; i < 50_000; i++) await monitor.tick();
      assert.equal(monitor.isRedisUp(), false);
      const json = JSON.parse(documentBytes(monitor.lastSnapshot().document).toString());
      assert.equal(json.redis_up, false);
      assert.deepEqual(json.apps, []);
    } finally {
      await handle.close();
    }
  });

  it("says ioredis's refusals in an operator's words: a command with no connection open, one whose connection closed", async () => {
    // Its first command starts the connection, and is refused before it is open.
    const closed = new Redis(redis.url, { lazyConnect: true, enableOfflineQueue: false });
    const client = new Redis(redis.url, { maxRetriesPerRequest: 0 });
    try {
      assert.equal(redisErrorText(await closed.get('k').catch((err: unknown) => err)), 'Redis not connected');
      await client.ping();
      // Its connection closes under a command (as a socket timeout closes it), and ioredis gives up at once.
      const pending = client.blpop('never-filled', 5).catch((err: unknown) => err);
      client.stream.destroy();
      assert.equal(redisErrorText(await pending), 'the connection to Redis closed before it answered');
    } finally {
      closed.disconnect();
      client.disconnect();
    }
  });

  it("says an outage's cause where an operator looks: /readyz, pulse_status and a 503's detail", async () => {
    // A port nobody listens on, and a name that never resolves (.invalid, RFC 6761): each cause as the socket said it.
    for (const [target, cause] of [
      ['redis://127.0.0.1:1', /: connect ECONNREFUSED 127\.0\.0\.1:1$/],
      ['redis://no-such-host.invalid:6379', /: getaddrinfo (ENOTFOUND|EAI_AGAIN) no-such-host\.invalid$/],
    ] as const) {
      const bridge = await startBridge({ redisUrl: target }, INTERVAL);
      const sse = await SseClient.connect(`${bridge.url}/api/pulse/stream`);
      try {
        const status = await sse.waitFor<PulseStatusEvent>(PULSE_EVENTS.status, (s) => !s.redis_up && s.error !== undefined, 5_000);
        assert.match(status.error ?? '', cause, `${target}: pulse_status error`);
        assert.match(status.poll_error ?? '', cause, `${target}: pulse_status poll_error`);
        const ready = await getJson(`${bridge.url}/readyz`);
        assert.equal(ready.status, 503);
        assert.match(String(ready.body.poll_error), cause, `${target}: /readyz`);
        const slow = await getJson(`${bridge.url}/api/pulse/slow?app=web`);
        assert.equal(slow.status, 503);
        assert.match(String(slow.body.detail), cause, `${target}: the JSON API's 503`);
      } finally {
        await sse.close();
        await bridge.stop();
      }
    }
  });

  it('Redis down at start', async () => {
    await redis.kill();
    const bridge = await startBridge({ redisUrl: redis.url }, INTERVAL);
    const sse = await SseClient.connect(`${bridge.url}/api/pulse/stream`);
    try {
      assert.equal(sse.status, 200);
      await expectDown(bridge.url, sse, 0);
      // No poll has succeeded: how long one takes is not known.
      assert.match(await scrapeWithin2s(bridge.url), /\npulse_bridge_poll_duration_seconds nan\n/i);
      const from = sse.events.length;
      await redis.restart();
      await expectRecovered(bridge.url, sse, redis, 'fault-start', from);
    } finally {
      await sse.close();
      await bridge.stop();
    }
  });

  describe('with a running bridge', () => {
    let bridge: Awaited<ReturnType<typeof startLoggedBridge>>;
    let sse: SseClient;
    before(async () => {
      bridge = await startLoggedBridge({ redisUrl: redis.url }, INTERVAL);
      sse = await SseClient.connect(`${bridge.url}/api/pulse/stream`);
      await writeHeartbeat(redis.client(), 'fault-before', 'web-1');
      await sse.waitFor<SystemPulseEvent>(
        PULSE_EVENTS.systemPulse,
        (e) => e.redis_up && e.apps.some((a) => a.app === 'fault-before'),
        5_000,
      );
    });
    after(async () => {
      await sse?.close();
      await bridge?.stop();
    });

    it('Redis killed', async () => {
      await waitFor(
        async () => (await scrapeWithin2s(bridge.url)).includes('\npulse_bridge_redis_oom 0\n'),
        5_000,
        'Redis read as not full',
      );
      const from = sse.events.length;
      await redis.kill();
      await expectDown(bridge.url, sse, from);
      // the last state is still served while Redis is away
      const metrics = await scrapeWithin2s(bridge.url);
      assert.match(metrics, /pulse_server_up\{app="fault-before",server="web-1"\} 1/);
      // whether Redis is full is not known while it is away: never the last read's "not full"
      assert.match(metrics, /\npulse_bridge_redis_oom nan\n/i);
      const statuses = sse.events.slice(from).filter((e) => e.event === PULSE_EVENTS.status);
      const down = statuses.map((e) => JSON.parse(e.data) as PulseStatusEvent).filter((status) => !status.redis_up);
      assert.ok(down.length > 0 && down.every((status) => !('redis_oom' in status)), JSON.stringify(down));
      const back = sse.events.length;
      await redis.restart();
      await expectRecovered(bridge.url, sse, redis, 'fault-killed', back);
    });

    it('Redis paused with SIGSTOP', async () => {
      const from = sse.events.length;
      const logsFrom = bridge.logs.length;
      const said = (msg: string) => bridge.logs.slice(logsFrom).filter((line) => line.msg === msg).length;
      await redis.pause();
      try {
        await expectDown(bridge.url, sse, from);
        // the JSON API does not hang either
        const started = Date.now();
        const slow = await getJson(`${bridge.url}/api/pulse/slow?app=fault-killed`);
        assert.equal(slow.status, 503);
        assert.ok(Date.now() - started < 2_000);
        // Sockets to a frozen Redis open and time out every ~1.5 s here: one outage, said once, never as reachable.
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        assert.equal(said('redis unreachable'), 1, JSON.stringify(bridge.logs.slice(logsFrom)));
        assert.ok(said('redis connection error') <= 1, JSON.stringify(bridge.logs.slice(logsFrom)));
        assert.equal(said('redis reachable'), 0, JSON.stringify(bridge.logs.slice(logsFrom)));
      } finally {
        await redis.resume();
      }
      await expectRecovered(bridge.url, sse, redis, 'fault-paused', sse.events.length - 1);
      assert.equal(said('redis reachable'), 1);
    });
  });
});
