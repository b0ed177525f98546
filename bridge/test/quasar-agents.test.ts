// What Zenith's agents really write, read truthfully (issue 22): the Go agent's status, errors and Laravel queue
// workers, and what it cannot measure (no load average, no heap) left unknown rather than shown as 0; the mirror's
// mark recognised only where the mirror puts it; and writers' clocks from the future clamped on the way to Zenith.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { heartbeatKey, type PulseNode, quasarNodeKey, type SystemPulseEvent } from '@gravito/pulse-protocol';
import type { Redis } from 'ioredis';
import {
  assertEventsMatchProtocol,
  getJson,
  SseClient,
  type startBridge,
  suiteRedisAndBridge,
  waitFor,
  writeHeartbeat,
} from './helpers.js';

const NODES: { why: string; value: PulseNode }[] = JSON.parse(
  readFileSync(new URL('../../protocol/vectors/pulse-node.json', import.meta.url), 'utf8'),
).cases;
const vector = (why: RegExp): PulseNode => structuredClone((NODES.find((c) => why.test(c.why)) as { value: PulseNode }).value);
/** Exactly as the Go agent (quasar-go) writes a node: status degraded, two Laravel workers, heap 0. */
const GO_AGENT = vector(/the Go agent \(quasar-go\)/);
const YEAR_MS = 365 * 24 * 3_600_000;

describe("Zenith's agents as they really write", () => {
  const suite = suiteRedisAndBridge(200, { zenithMirror: true });
  let client: Redis;
  let bridge: Awaited<ReturnType<typeof startBridge>>;
  before(() => {
    ({ client, bridge } = suite);
  });

  it('shows a degraded Go agent as degraded, with its error and its two queue workers, and no load or heap figures', async () => {
    const node = { ...GO_AGENT, timestamp: Date.now() };
    const sse = await SseClient.connect(`${bridge.url}/api/pulse/stream?app=shop-laravel`);
    try {
      await client.set(quasarNodeKey(node.service, node.id), JSON.stringify(node), 'EX', 30);
      const event = await sse.waitFor<SystemPulseEvent>('system_pulse', (e) => e.apps.length > 0, 5_000);
      const app = event.apps[0];
      const server = app?.servers[0];
      assert.equal(server?.id, 'queue-3-8123');
      const hb = server.heartbeat;
      assert.deepEqual(hb.reported_status, { status: 'degraded', errors: ['monitor_redis_offline'] });
      assert.deepEqual(
        hb.processes?.map((p) => [p.pid, p.kind, p.name]),
        [
          [9101, 'queue', 'php /var/www/shop/artisan queue:work redis --queue=default --sle'],
          [9102, 'queue', 'php /var/www/shop/artisan horizon:work redis --name=default'],
        ],
      );
      assert.equal(hb.system.load_avg, undefined, 'no load average: unknown, not 0');
      assert.equal(hb.process.memory_heap, undefined, 'heap 0 of 0 is "not applicable for Go": unknown, not 0');
      assert.equal(hb.process.memory_heap_total, undefined);
      // A degraded agent takes the health it would as half a lost server, and says why.
      assert.deepEqual(app?.health, {
        score: 85,
        reasons: ['-15: agents report trouble on 1 of 1 servers: 1 degraded (monitor_redis_offline)'],
      });
      assertEventsMatchProtocol(sse);
    } finally {
      await sse.close();
    }

    const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
    const labels = 'app="shop-laravel",server="queue-3-8123"';
    assert.match(metrics, new RegExp(`^pulse_server_agent_status\\{${labels},status="degraded"\\} 1$`, 'm'));
    assert.match(metrics, new RegExp(`^pulse_server_agent_status\\{${labels},status="online"\\} 0$`, 'm'));
    assert.match(metrics, new RegExp(`^pulse_server_agent_errors\\{${labels}\\} 1$`, 'm'));
    assert.match(metrics, /^pulse_app_health_score\{app="shop-laravel"\} 85$/m);
    for (const family of ['pulse_server_load1', 'pulse_server_load5', 'pulse_server_load15', 'pulse_process_heap_used_bytes']) {
      assert.doesNotMatch(metrics, new RegExp(`^${family}\\{${labels}\\}`, 'm'), `no ${family} series`);
    }
    assert.match(metrics, new RegExp(`^pulse_server_up\\{${labels}\\} 1$`, 'm'));
    for (const [pid, memory] of [
      ['9101', 58720256],
      ['9102', 62914560],
    ]) {
      assert.match(
        metrics,
        new RegExp(
          `^pulse_server_process_resident_memory_bytes\\{${labels},hostname="queue-3",pid="${pid}",name="[^"]+",kind="queue"\\} ${memory}$`,
          'm',
        ),
      );
    }

    // Zenith's routes serve the node as the agent wrote it, status, errors and workers included.
    const { body } = await getJson(`${bridge.url}/api/pulse/nodes`);
    assert.deepEqual(body.nodes['shop-laravel'], [node]);
    await client.del(quasarNodeKey(node.service, node.id));
  });

  it("reads an agent whose own meta nests the mirror's mark, and never writes over its node", async () => {
    const nested = { laravel: { workerCount: 0 }, probe: { gravito_pulse: { mirror: true, app: 'x' } } };
    const agent = { ...vector(/the Node agent \(/), service: 'nested', id: 'agent-1', meta: nested, timestamp: Date.now() };
    const raw = JSON.stringify(agent);
    assert.ok(raw.includes('"gravito_pulse":{"mirror":true'), 'the text of the mark is in it');
    await client.set(quasarNodeKey('nested', 'agent-1'), raw, 'EX', 30);
    await waitFor(
      async () => {
        const { body } = await getJson(`${bridge.url}/api/pulse/servers?app=nested`);
        return (body as SystemPulseEvent).apps[0]?.servers.some((s) => s.id === 'agent-1');
      },
      5_000,
      'the agent read',
    );
    // At the key of a Pulse server the mirror writes: the agent's node stays as the agent wrote it.
    await writeHeartbeat(client, 'checkout', 'web-1');
    const atMirrorKey = JSON.stringify({ ...agent, service: 'checkout', id: 'web-1' });
    await client.set(quasarNodeKey('checkout', 'web-1'), atMirrorKey, 'EX', 30);
    const mirror = bridge.bridge.quasar.mirror;
    assert.ok(mirror);
    const agentOwned = mirror.counts.agentOwned;
    const ticks = bridge.bridge.monitor.ticks;
    await waitFor(() => bridge.bridge.monitor.ticks >= ticks + 3, 5_000, 'three polls');
    await mirror.settled();
    assert.equal(await client.get(quasarNodeKey('checkout', 'web-1')), atMirrorKey);
    assert.ok(mirror.counts.agentOwned >= agentOwned + 2, "left alone as an agent's, at each poll");
    await client.del(quasarNodeKey('checkout', 'web-1'), quasarNodeKey('nested', 'agent-1'), heartbeatKey('checkout', 'web-1'));
  });

  it('clamps a timestamp a year ahead to the time it was read, through the mirror and the nodes route', async () => {
    const written = Date.now();
    await writeHeartbeat(client, 'future', 'web-1', (hb) => {
      hb.timestamp = written + YEAR_MS;
    });
    const agent = { ...vector(/the Node agent \(/), service: 'future-agents', id: 'a-1', timestamp: written + YEAR_MS };
    await client.set(quasarNodeKey(agent.service, agent.id), JSON.stringify(agent), 'EX', 30);
    const mirrored = await waitFor(
      async () => (await client.get(quasarNodeKey('future', 'web-1'))) ?? undefined,
      5_000,
      'the mirrored node',
    );
    assert.ok((JSON.parse(mirrored) as PulseNode).timestamp <= Date.now(), 'the mirror writes the clamped time');
    const { body } = await getJson(`${bridge.url}/api/pulse/nodes`);
    for (const service of ['future', 'future-agents']) {
      const [node] = body.nodes[service] as PulseNode[];
      assert.ok(node && node.timestamp >= written && node.timestamp <= Date.now(), `${service}: ${node?.timestamp}`);
    }
    // Only the time changed: the agent's node is otherwise as it wrote it.
    assert.deepEqual({ ...body.nodes['future-agents'][0], timestamp: 0 }, { ...agent, timestamp: 0 });
  });
});
