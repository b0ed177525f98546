// Period views' series on a real Redis: queue depth from a Zenith agent's node, buckets with no data absent, and
// every history key expiring with its period.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { historyBucketKey, historyPeriodSpan, historyServersKey, quasarNodeKey } from '@gravito/pulse-protocol';
import { suiteRedis, waitFor } from './helpers.js';
import { FAST_HISTORY, history, sleep, startHistoryBridge } from './history-fixtures.js';

const AGENT = JSON.parse(readFileSync(new URL('../../protocol/vectors/pulse-node.json', import.meta.url), 'utf8')).cases[1].value;

describe('history series', () => {
  const suite = suiteRedis();

  it("records a Zenith agent's queue depth per bucket, and every key expires with its period", async () => {
    const app = `hist-queues-${process.pid}`;
    const bridge = await startHistoryBridge(suite.redis.url);
    try {
      const depths: number[] = [];
      for (let i = 0; i < 14; i++) {
        const waiting = 10 + i;
        depths.push(waiting);
        const node = {
          ...AGENT,
          service: app,
          timestamp: Date.now(),
          queues: [{ ...AGENT.queues[0], size: { ...AGENT.queues[0].size, waiting } }],
        };
        await suite.client.set(quasarNodeKey(app, node.id), JSON.stringify(node), 'EX', 30);
        await sleep(250);
      }
      const answer = await waitFor(
        async () => {
          const a = await history(bridge.url, `period=1h&app=${app}`);
          return (a.queues.find((q) => q.app === app)?.series.length ?? 0) >= 2 ? a : undefined;
        },
        5_000,
        'a queue series of two buckets or more',
      );
      const queue = answer.queues.find((q) => q.app === app);
      assert.equal(queue?.queue, 'emails');
      assert.equal(queue?.driver, 'redis');
      for (const point of queue?.series ?? []) {
        assert.ok(depths.includes(point.depth_max), `depth_max ${point.depth_max} was written`);
        assert.ok(point.depth_avg >= 10 && point.depth_avg <= point.depth_max);
      }
      // The agent's server has CPU and memory; a Node agent's event loop is not in a PulseNode: absent, not 0.
      const server = answer.apps.find((a) => a.app === app)?.servers[0];
      assert.ok(server && server.series.length >= 2);
      for (const point of server.series) {
        assert.equal(typeof point.cpu_avg, 'number');
        assert.equal(point.loop_p99_avg_ms, undefined);
      }
      // Buckets follow one another without gaps filled in: each start is a bucket boundary, none repeated.
      const { bucketMs, periodMs } = historyPeriodSpan('1h', FAST_HISTORY.timeScale);
      assert.equal(answer.bucket_ms, bucketMs);
      for (const point of server.series) assert.equal(point.start % bucketMs, 0);
      // Each key expires when its bucket leaves the period.
      const start = server.series[0]?.start as number;
      for (const key of [historyBucketKey(app, '1h', start), historyServersKey(app, '1h', start)]) {
        const ttl = await suite.client.pexpiretime(key);
        assert.equal(ttl, start + periodMs + bucketMs, key);
      }
      const weekStart =
        Math.floor(start / historyPeriodSpan('7d', FAST_HISTORY.timeScale).bucketMs) *
        historyPeriodSpan('7d', FAST_HISTORY.timeScale).bucketMs;
      const weekTtl = await suite.client.pttl(historyServersKey(app, '7d', weekStart));
      assert.ok(weekTtl > periodMs, `the 7 d bucket outlives the 1 h period (${weekTtl} ms)`);
    } finally {
      await bridge.stop();
    }
  });
});
