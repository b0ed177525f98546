import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import {
  heartbeatKey,
  type PulseHeartbeat,
  type PulseNode,
  pulseNodeValidator,
  QUASAR_NODE_STALE_MS,
  quasarNodeKey,
  type SystemPulseEvent,
} from '@gravito/pulse-protocol';
import type { Redis } from 'ioredis';
import { getJson, SseClient, type startBridge, suiteRedisAndBridge, waitFor, writeHeartbeat } from './helpers.js';

const vectors = (name: string) => JSON.parse(readFileSync(new URL(`../../protocol/vectors/${name}.json`, import.meta.url), 'utf8')).cases;
const NODES: { why: string; valid: boolean; value: PulseNode }[] = vectors('pulse-node');
const agentNode = (why: RegExp): PulseNode => structuredClone((NODES.find((c) => why.test(c.why)) as { value: PulseNode }).value);

/** Zenith's PulseService.getNodes, step for step: SCAN MATCH … COUNT 100, MGET, the 60 s rule, sort, group. */
async function zenithGetNodes(redis: Redis): Promise<Record<string, PulseNode[]>> {
  const nodes: PulseNode[] = [];
  const now = Date.now();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', 'gravito:quasar:node:*', 'COUNT', 100);
    cursor = next;
    if (keys.length === 0) continue;
    for (const value of await redis.mget(...keys)) {
      if (!value) continue;
      const node = JSON.parse(value) as PulseNode;
      if (now - node.timestamp < 60_000) nodes.push(node);
    }
  } while (cursor !== '0');
  nodes.sort((a, b) => a.service.localeCompare(b.service) || a.id.localeCompare(b.id));
  const grouped: Record<string, PulseNode[]> = {};
  for (const node of nodes) {
    grouped[node.service] ??= [];
    grouped[node.service]?.push(node);
  }
  return grouped;
}

function assertValidNodes(grouped: Record<string, PulseNode[]>): void {
  for (const [service, nodes] of Object.entries(grouped)) {
    for (const node of nodes) {
      assert.deepEqual(pulseNodeValidator.validate(node), { ok: true, value: node });
      assert.equal(node.service, service);
    }
  }
}

const ids = (grouped: Record<string, PulseNode[]>) =>
  Object.fromEntries(Object.entries(grouped).map(([s, nodes]) => [s, nodes.map((n) => n.id)]));

describe('Zenith drop-in: mirror, reader and compatible routes on a real Redis', () => {
  const suite = suiteRedisAndBridge(200, { zenithMirror: true, token: 'zenith-test-token-0123' });
  let client: Redis;
  let bridge: Awaited<ReturnType<typeof startBridge>>;
  before(() => {
    ({ client, bridge } = suite);
  });
  const auth = { authorization: 'Bearer zenith-test-token-0123' };

  it('mirrors online servers only, as valid PulseNodes with TTL ≤ 30 that Zenith scans, groups and sorts', async () => {
    await writeHeartbeat(client, 'checkout', 'web-2');
    await writeHeartbeat(client, 'checkout', 'web-1');
    await writeHeartbeat(client, 'billing', 'php-1', (hb) => {
      hb.meta.runtime = 'php';
    });
    // Lost: its key is there, its heartbeat is older than 3 × its interval.
    await writeHeartbeat(client, 'checkout', 'web-9', (hb) => {
      hb.timestamp = Date.now() - 20_000;
    });
    const grouped = await waitFor(
      async () => {
        const found = await zenithGetNodes(client);
        return found.checkout?.length === 2 && found.billing?.length === 1 ? found : undefined;
      },
      5_000,
      'the mirrored nodes',
    );
    assert.deepEqual(ids(grouped), { billing: ['php-1'], checkout: ['web-1', 'web-2'] });
    assertValidNodes(grouped);
    assert.equal(grouped.billing?.[0]?.language, 'php');
    assert.equal(await client.exists(quasarNodeKey('checkout', 'web-9')), 0, 'a lost server is not mirrored');
    for (const key of await client.keys('gravito:quasar:node:*')) {
      const ttl = await client.ttl(key);
      assert.ok(ttl > 0 && ttl <= 30, `${key} TTL ${ttl}`);
    }
    assert.ok((bridge.bridge.quasar.mirror?.counts.written ?? 0) >= 3);
  });

  it('never overwrites a node an agent wrote, even at the key the mirror would use', async () => {
    const agent = { ...agentNode(/the Node agent \(/), service: 'checkout', id: 'web-1', timestamp: Date.now() };
    const key = quasarNodeKey('checkout', 'web-1');
    const raw = JSON.stringify(agent);
    await client.set(key, raw, 'EX', 30);
    const before = bridge.bridge.quasar.mirror?.counts.agentOwned ?? 0;
    await waitFor(() => (bridge.bridge.quasar.mirror?.counts.agentOwned ?? 0) >= before + 2, 5_000, 'two mirror rounds');
    assert.equal(await client.get(key), raw);
    await client.del(key);
  });

  it('reads agents (Node, Bun, Laravel) into the snapshot and /metrics with source="quasar", queues included', async () => {
    const now = Date.now();
    const agents = [agentNode(/Node agent watching queues/), agentNode(/the Bun agent/), agentNode(/the Laravel agent/)];
    for (const node of agents) {
      node.timestamp = now;
      await client.set(quasarNodeKey(node.service, node.id), JSON.stringify(node), 'EX', 30);
    }
    const metrics = await waitFor(
      async () => {
        const text = await (await fetch(`${bridge.url}/metrics`, { headers: auth })).text();
        return text.includes('app="shop-laravel",server="web-3-2201"') ? text : undefined;
      },
      5_000,
      'the agents on /metrics',
    );
    for (const node of agents) {
      assert.match(metrics, new RegExp(`pulse_server_info\\{app="${node.service}",server="${node.id}",[^}]*source="quasar"\\} 1`));
      assert.match(metrics, new RegExp(`pulse_server_up\\{app="${node.service}",server="${node.id}"\\} 1`));
    }
    assert.match(metrics, /pulse_server_info\{app="checkout",server="web-1",[^}]*source="gpp"\} 1/);
    assert.match(metrics, /pulse_queue_jobs\{app="mailer",queue="emails",driver="redis",state="waiting"\} 12/);
    assert.match(metrics, /pulse_queue_jobs\{app="shop-laravel",queue="default",driver="redis",state="delayed"\} 7/);
    assert.match(
      metrics,
      /pulse_queue_throughput_jobs_per_second\{app="shop-laravel",queue="default",driver="redis",direction="in"\} 5.333/,
    );
    // The mirror's own nodes are skipped by the reader: each GPP server is one series, not two.
    assert.equal((metrics.match(/^pulse_server_up\{app="checkout",server="web-1"\}/gm) ?? []).length, 1);
    assert.match(metrics, /pulse_bridge_quasar_nodes\{writer="mirror"\} [1-9]/);
    // The agents' keys are read, never written.
    for (const node of agents) assert.equal(await client.get(quasarNodeKey(node.service, node.id)), JSON.stringify(node));
    const { body } = await getJson(`${bridge.url}/api/pulse/servers`, auth);
    const servers = (body as SystemPulseEvent).apps.flatMap((a) => a.servers.map((s) => `${a.app}/${s.id}`));
    assert.ok(servers.includes('edge/edge-1-902') && servers.includes('mailer/worker-2-5120'));
    assert.equal(servers.filter((s) => s === 'checkout/web-1').length, 1);
  });

  it("maps every vector both ways through Redis: agents' nodes into the snapshot, servers into mirrored nodes", async () => {
    const mapping: { direction: string; why: string; input: unknown; expected: unknown }[] = vectors('quasar-mapping');
    for (const c of mapping.filter((v) => v.direction === 'node-to-heartbeat')) {
      const node = { ...(c.input as PulseNode), service: `vec-${(c.input as PulseNode).service}`, timestamp: Date.now() };
      await client.set(quasarNodeKey(node.service, node.id), JSON.stringify(node), 'EX', 30);
      const expected = { ...(c.expected as PulseHeartbeat), timestamp: node.timestamp };
      expected.meta = { ...expected.meta, app_name: node.service };
      await waitFor(
        async () => {
          const { body } = await getJson(`${bridge.url}/api/pulse/servers`, auth);
          const app = (body as SystemPulseEvent).apps.find((a) => a.app === node.service);
          const server = app?.servers.find((s) => s.heartbeat.process.pid === node.pid && s.heartbeat.timestamp === node.timestamp);
          if (!server) return undefined;
          assert.deepEqual(server.heartbeat, expected);
          return true;
        },
        5_000,
        c.why,
      );
      await client.del(quasarNodeKey(node.service, node.id));
    }
    for (const c of mapping.filter((v) => v.direction === 'heartbeat-to-node')) {
      const { app, id, heartbeat } = c.input as { app: string; id: string; heartbeat: PulseHeartbeat };
      const hb = { ...heartbeat, timestamp: Date.now() };
      await client.set(heartbeatKey(app, id), JSON.stringify(hb), 'EX', 30);
      const expected = JSON.stringify({ ...(c.expected as PulseNode), timestamp: hb.timestamp });
      await waitFor(async () => (await client.get(quasarNodeKey(app, id))) === expected, 5_000, c.why);
      await client.del(heartbeatKey(app, id));
    }
  });

  it("serves Zenith's routes: the nodes envelope and a stream of pulse and ping events, behind the token", async () => {
    assert.equal((await getJson(`${bridge.url}/api/pulse/nodes`)).status, 401);
    const { status, body } = await getJson(`${bridge.url}/api/pulse/nodes`, auth);
    assert.equal(status, 200);
    const grouped = (body as { nodes: Record<string, PulseNode[]> }).nodes;
    assertValidNodes(grouped);
    const services = Object.keys(grouped);
    assert.deepEqual(
      services,
      [...services].sort((a, b) => a.localeCompare(b)),
    );
    for (const nodes of Object.values(grouped))
      assert.deepEqual(
        nodes.map((n) => n.id),
        nodes.map((n) => n.id).sort((a, b) => a.localeCompare(b)),
      );
    // GPP servers as mapped nodes, agents' nodes as written (queues and meta kept), none older than 60 s.
    assert.deepEqual(grouped['shop-laravel']?.[0]?.meta, agentNode(/the Laravel agent/).meta);
    assert.ok(grouped.checkout?.some((n) => n.id === 'web-1'));
    for (const node of Object.values(grouped).flat()) assert.ok(Date.now() - node.timestamp < QUASAR_NODE_STALE_MS);

    assert.equal((await SseClient.connect(`${bridge.url}/api/logs/stream`)).status, 401);
    const stream = await SseClient.connect(`${bridge.url}/api/logs/stream?access_token=zenith-test-token-0123`);
    try {
      assert.equal(stream.status, 200);
      await stream.waitFor<{ nodes: Record<string, PulseNode[]> }>('pulse', (data) => Object.keys(data.nodes).length > 0, 3_000);
      // Zenith's ping carries the text "heartbeat", not JSON.
      const ping = await waitFor(() => stream.events.find((e) => e.event === 'ping'), 6_000, 'a ping');
      assert.equal(ping.data, 'heartbeat');
      const pulses = stream.of<{ nodes: Record<string, PulseNode[]> }>('pulse');
      assert.ok(pulses.length >= 2, 'a pulse on connect and after every poll');
      for (const pulse of pulses) assertValidNodes(pulse.nodes);
    } finally {
      await stream.close();
    }
  });
});

describe('Zenith drop-in: without the mirror setting', () => {
  // History off too: its period views are the bridge's other write (bridge/README.md, "Period views").
  const suite = suiteRedisAndBridge(200, { quasarRead: false, sseMaxClients: 1, history: 'off' });
  let client: Redis;
  let bridge: Awaited<ReturnType<typeof startBridge>>;
  before(() => {
    ({ client, bridge } = suite);
  });

  it('never writes to Redis, and reads no agent when the reader is off', async () => {
    await writeHeartbeat(client, 'checkout', 'web-1');
    const node = { ...agentNode(/the Node agent \(/), timestamp: Date.now() };
    await client.set(quasarNodeKey(node.service, node.id), JSON.stringify(node), 'EX', 30);
    // Redis counts every change to its data since the last save: reads do not move it.
    const dirty = async () => Number(/rdb_changes_since_last_save:(\d+)/.exec(await client.info('persistence'))?.[1]);
    const changesBefore = await dirty();
    const ticks = bridge.bridge.monitor.ticks;
    await waitFor(() => bridge.bridge.monitor.ticks >= ticks + 5, 5_000, 'five polls');
    assert.equal(await dirty(), changesBefore, 'no write reached Redis');
    assert.deepEqual((await client.keys('gravito:quasar:node:*')).sort(), [quasarNodeKey(node.service, node.id)]);
    const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
    assert.doesNotMatch(metrics, /source="quasar"/);
    assert.match(metrics, /source="gpp"/);
  });

  it("caps Zenith's stream clients, and counts the ones refused", async () => {
    const first = await SseClient.connect(`${bridge.url}/api/logs/stream`);
    try {
      assert.equal(first.status, 200);
      const second = await SseClient.connect(`${bridge.url}/api/logs/stream`);
      assert.equal(second.status, 503);
      const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
      assert.match(metrics, /^pulse_bridge_zenith_stream_clients 1$/m);
      assert.match(metrics, /^pulse_bridge_zenith_stream_dropped_clients_total\{reason="rejected"\} 1$/m);
    } finally {
      await first.close();
    }
  });
});
