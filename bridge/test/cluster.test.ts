import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  heartbeatKey,
  PULSE_EVENTS,
  type PulseSlowEvent,
  parsePulseNode,
  pulseNodeToHeartbeat,
  quasarNodeKey,
  slowKey,
  slowStreamFields,
} from '@gravito/pulse-protocol';
import { addUserWithoutScripts, asUserWithoutScripts } from '@gravito/pulse-testkit';
import { heartbeat, SseClient, slowEntry, startBridge, suiteCluster, waitFor } from './helpers.js';

describe('Redis Cluster: every master is scanned, values fetched key by key', () => {
  const suite = suiteCluster();

  it('serves heartbeats from all three masters and tails slow streams', async () => {
    const app = 'cluster-app';
    for (let i = 0; i < 60; i++) await suite.writer.set(heartbeatKey(app, `s-${i}`), JSON.stringify(heartbeat(app, `s-${i}`)), 'EX', 60);
    // the keys really are spread over the masters
    const perMaster = await Promise.all(suite.writer.nodes('master').map((n) => n.dbsize()));
    assert.equal(perMaster.filter((n) => n > 0).length, 3, `keys per master: ${perMaster}`);

    const bridge = await startBridge({ redisUrl: suite.cluster.seeds }, 200);
    try {
      assert.equal(bridge.bridge.redis.cluster, true);
      const snap = await waitFor(
        () => bridge.bridge.monitor.getAggregateMetrics().apps.find((a) => a.app === app && a.servers.length === 60),
        10_000,
        'all 60',
      );
      assert.equal(snap.servers_online, 60);
      const sse = await SseClient.connect(`${bridge.url}/api/pulse/stream`);
      const id = await suite.writer.xadd(slowKey(app), '*', ...slowStreamFields(slowEntry()));
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

  it('mirrors into Zenith one slot per pipeline, and reads agents on every master', async () => {
    const app = 'cluster-zenith';
    for (let i = 0; i < 40; i++) await suite.writer.set(heartbeatKey(app, `z-${i}`), JSON.stringify(heartbeat(app, `z-${i}`)), 'EX', 60);
    const agent = parsePulseNode(
      JSON.stringify({ ...heartbeatNodeShape(), service: 'cluster-agent', id: 'agent-1', timestamp: Date.now() }),
    );
    assert.ok(agent.ok);
    await suite.writer.set(quasarNodeKey('cluster-agent', 'agent-1'), JSON.stringify(agent.value), 'EX', 30);
    const bridge = await startBridge({ redisUrl: suite.cluster.seeds, zenithMirror: true }, 200);
    try {
      // One EXISTS per key: a multi-key EXISTS would cross slots.
      const mirrored = async () =>
        (await Promise.all(Array.from({ length: 40 }, (_, i) => suite.writer.exists(quasarNodeKey(app, `z-${i}`))))).filter(Boolean).length;
      await waitFor(async () => (await mirrored()) === 40, 10_000, 'all 40 mirrored');
      assert.equal(bridge.bridge.quasar.mirror?.counts.failed, 0);
      const perMaster = await Promise.all(suite.writer.nodes('master').map((n) => n.keys('gravito:quasar:node:*')));
      assert.equal(perMaster.filter((keys) => keys.length > 0).length, 3, 'the nodes spread over the masters');
      const snap = await waitFor(
        () => bridge.bridge.monitor.getAggregateMetrics().apps.find((a) => a.app === 'cluster-agent'),
        5_000,
        'the agent read',
      );
      assert.deepEqual(snap.servers[0]?.heartbeat, pulseNodeToHeartbeat(agent.value));
      // Its own 40 nodes are recognised, not read back as agents.
      assert.equal(bridge.bridge.monitor.getAggregateMetrics().apps.find((a) => a.app === app)?.servers.length, 40);
    } finally {
      await bridge.stop();
    }
  });

  it('reads values key by key with GETRANGE, and mirrors without the script, where the nodes refuse scripts', async () => {
    for (const node of suite.writer.nodes('all')) await addUserWithoutScripts(node);
    const app = 'cluster-no-scripts';
    for (let i = 0; i < 30; i++) await suite.writer.set(heartbeatKey(app, `s-${i}`), JSON.stringify(heartbeat(app, `s-${i}`)), 'EX', 60);
    await suite.writer.set(heartbeatKey(app, 'big'), 'x'.repeat(100_000), 'EX', 60);
    const [first, ...rest] = suite.cluster.seeds.split(',');
    const bridge = await startBridge({ redisUrl: [asUserWithoutScripts(`redis://${first}`), ...rest].join(','), zenithMirror: true }, 200);
    try {
      const snap = await waitFor(
        () => bridge.bridge.monitor.getAggregateMetrics().apps.find((a) => a.app === app && a.servers.length === 30),
        10_000,
        'all 30',
      );
      assert.equal(snap.servers_online, 30);
      await waitFor(() => bridge.bridge.monitor.invalid.counts.heartbeat === 1 || undefined, 5_000, 'the value over the bound reported');
      assert.equal(bridge.bridge.monitor.failedPolls, 0);
      const mirrored = async () =>
        (await Promise.all(Array.from({ length: 30 }, (_, i) => suite.writer.exists(quasarNodeKey(app, `s-${i}`))))).filter(Boolean).length;
      await waitFor(async () => (await mirrored()) === 30, 10_000, 'all 30 mirrored');
      assert.equal(bridge.bridge.quasar.mirror?.counts.failed, 0);
    } finally {
      await bridge.stop();
    }
  });
});

/** A PulseNode as the Quasar Node agent writes it (the protocol's first vector). */
function heartbeatNodeShape(): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL('../../protocol/vectors/pulse-node.json', import.meta.url), 'utf8')).cases[0].value;
}
