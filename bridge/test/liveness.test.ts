import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { heartbeatKey } from '@gravito/pulse-protocol';
import { startRedis, type TestRedis } from '@gravito/pulse-testkit';
import { MonitorService } from '../src/monitor/monitor-service.js';
import { RedisLiveness } from '../src/monitor/redis-liveness.js';
import { connectRedis, type RedisHandle } from '../src/redis/connection.js';
import { heartbeat, silentLogger, waitFor } from './helpers.js';

/** Holds the event loop, as a large fan-out or a starved CPU would. */
function holdLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy
  }
}

describe('Redis liveness: judged from a PING, never from how busy the bridge is', () => {
  let redis: TestRedis;
  let handle: RedisHandle;
  before(async () => {
    redis = await startRedis({ faults: true });
    handle = connectRedis(redis.url, { timeoutMs: 200 });
    await waitFor(() => handle.ready(), 3_000, 'redis ready');
  });
  after(async () => {
    await handle?.close();
    await redis?.stop();
  });

  it('a PING whose timeout fires late because the loop was held is asked again: Redis is up', async () => {
    const liveness = new RedisLiveness(() => handle.client, 200);
    // Sent and then held from the check phase: the next turn of the loop runs timers first, so the command
    // timeout (200 ms), due meanwhile, fires 600 ms late, before the poll phase reads Redis's reply.
    const ping = await new Promise<Promise<number>>((resolve) =>
      setImmediate(() => {
        const sent = liveness.ping();
        holdLoop(800);
        resolve(sent);
      }),
    );
    const roundTrip = await ping;
    assert.ok(roundTrip >= 0);
    assert.equal(liveness.lastRoundTripMs, roundTrip);
  });

  it('a frozen Redis is judged down: the PING timeout fires on time', async () => {
    const liveness = new RedisLiveness(() => handle.client, 200);
    await redis.pause();
    try {
      await assert.rejects(liveness.ping(), /timed out/);
    } finally {
      await redis.resume();
    }
    await waitFor(() => handle.ready(), 5_000, 'reconnected');
  });

  it('a poll that fails while Redis answers keeps redis_up and the last state, counted', async () => {
    const client = redis.client();
    await client.set(heartbeatKey('live', 'web-1'), JSON.stringify(heartbeat('live', 'web-1')), 'EX', 60);
    const monitor = new MonitorService(
      handle,
      { intervalMs: 1_000, lostAfterMs: 15_000, forgetAfterMs: 600_000, tickTimeoutMs: 1_000, redisTimeoutMs: 200 },
      silentLogger,
    );
    await monitor.tick();
    assert.equal(monitor.isRedisUp(), true);
    assert.equal(monitor.getAggregateMetrics().apps[0]?.servers.length, 1);
    // A poll bound of 1 ms cannot hold a scan of 50,000 keys: the poll fails, while Redis answers.
    for (let start = 0; start < 50_000; start += 1_000) {
      await client.mset(Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`filler:${start + i}`, 'x'])));
    }
    const slowMonitor = new MonitorService(
      handle,
      { intervalMs: 1_000, lostAfterMs: 15_000, forgetAfterMs: 600_000, tickTimeoutMs: 1, redisTimeoutMs: 200 },
      silentLogger,
    );
    await slowMonitor.tick();
    assert.equal(slowMonitor.failedPolls, 1, 'the poll failed');
    assert.equal(slowMonitor.isRedisUp(), true, 'Redis answered PING: not down');
    assert.equal(slowMonitor.getAggregateMetrics().redis_up, true);
    assert.equal(slowMonitor.statusEvent().redis_up, true);
  });
});
