import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { heartbeatKey, PULSE_EVENTS, type PulseSlowEvent, slowKey, slowStreamFields } from '@gravito/pulse-protocol';
import { startRedisCluster, type TestRedisCluster } from '@gravito/pulse-testkit';
import { Cluster } from 'ioredis';
import { heartbeat, SseClient, slowEntry, startBridge, waitFor } from './helpers.js';

describe('Redis Cluster: every master is scanned, values fetched key by key', () => {
  let cluster: TestRedisCluster;
  let writer: Cluster;
  before(async () => {
    cluster = await startRedisCluster();
    writer = new Cluster([...cluster.nodes]);
  });
  after(async () => {
    writer?.disconnect();
    await cluster?.stop();
  });

  it('serves heartbeats from all three masters and tails slow streams', async () => {
    const app = 'cluster-app';
    for (let i = 0; i < 60; i++) await writer.set(heartbeatKey(app, `s-${i}`), JSON.stringify(heartbeat(app, `s-${i}`)), 'EX', 60);
    // the keys really are spread over the masters
    const perMaster = await Promise.all(writer.nodes('master').map((n) => n.dbsize()));
    assert.equal(perMaster.filter((n) => n > 0).length, 3, `keys per master: ${perMaster}`);

    const bridge = await startBridge({ redisUrl: cluster.seeds }, 200);
    try {
      assert.equal(bridge.bridge.redis.cluster, true);
      const snap = await waitFor(
        () => bridge.bridge.monitor.getAggregateMetrics().apps.find((a) => a.app === app && a.servers.length === 60),
        10_000,
        'all 60',
      );
      assert.equal(snap.servers_online, 60);
      const sse = await SseClient.connect(`${bridge.url}/api/pulse/stream`);
      const id = await writer.xadd(slowKey(app), '*', ...slowStreamFields(slowEntry()));
      const slow = await sse.waitFor<PulseSlowEvent>(PULSE_EVENTS.slow, (e) => e.app === app, 5_000);
      assert.equal(slow.stream_id, id);
      const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
      assert.match(metrics, /\npulse_bridge_redis_up 1\n/);
      assert.match(metrics, new RegExp(`pulse_app_servers\\{app="${app}",status="online"\\} 60`));
      await sse.close();
    } finally {
      await bridge.stop();
    }
  });
});
