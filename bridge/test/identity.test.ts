// One server, one identity: its (app, server) pair, whichever key it is read from and however its names were
// escaped into key parts. A server read again under another key replaces its record; it never stands beside a
// "lost" copy of itself (two series with the same labels, the first of which Prometheus keeps).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { heartbeatKey, PULSE_EVENTS, type PulseNode, quasarNodeKey, type SystemPulseEvent } from '@gravito/pulse-protocol';
import { applyDelta, assertEventsMatchProtocol, getJson, heartbeat, SseClient, suiteRedisAndBridge, waitFor } from './helpers.js';

const INTERVAL = 200;

/** A PulseNode as the Quasar Node agent writes it (the protocol's first vector), for `service` and `id`. */
function agentNode(service: string, id: string): PulseNode {
  const shape = JSON.parse(readFileSync(new URL('../../protocol/vectors/pulse-node.json', import.meta.url), 'utf8')).cases[0].value;
  return { ...shape, service, id, timestamp: Date.now() };
}

/** Every tick's full state next to the state a delta stream rebuilt for it: they must be equal. */
function assertDeltaRebuildsFull(full: SseClient, delta: SseClient): void {
  const fullStates = new Map(
    full.events.filter((e) => e.event === PULSE_EVENTS.systemPulse).map((e) => [e.id as string, JSON.parse(e.data) as SystemPulseEvent]),
  );
  let state: SystemPulseEvent | undefined;
  let compared = 0;
  for (const event of delta.events) {
    if (event.event === PULSE_EVENTS.systemPulse) state = JSON.parse(event.data);
    else if (event.event === PULSE_EVENTS.systemPulseDelta) state = applyDelta(state as SystemPulseEvent, JSON.parse(event.data));
    else continue;
    const expected = fullStates.get(event.id as string);
    if (expected === undefined) continue; // the greeting has an id of its own
    assert.deepEqual(state, expected, `the delta client's state at event ${event.id}`);
    compared++;
  }
  assert.ok(compared >= 5, `compared ${compared} ticks`);
}

/** Every `pulse_server_up` sample of a server in one scrape. */
async function upSamples(url: string, app: string, server: string): Promise<string[]> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const prefix = `pulse_server_up{app="${app}",server="${server}"} `;
  return text
    .split('\n')
    .filter((line) => line.startsWith(prefix))
    .map((line) => line.slice(prefix.length));
}

describe('server identity: one (app, server), one record, across sources and key escaping', () => {
  const suite = suiteRedisAndBridge(INTERVAL);

  /**
   * Runs `change` between two sets of ticks with a full and a delta client connected, then checks that the server
   * is one series (online, never 0 on any scrape meanwhile), one entry of /api/pulse/servers and /api/pulse/nodes,
   * and that the delta client's rebuilt state equals every full one.
   */
  async function expectOneServer(app: string, server: string, change: () => Promise<void>): Promise<void> {
    const { bridge } = suite;
    const full = await SseClient.connect(`${bridge.url}/api/pulse/stream?app=${app}`);
    const delta = await SseClient.connect(`${bridge.url}/api/pulse/stream?app=${app}&mode=delta`);
    try {
      await change();
      const scrapes: string[][] = [];
      // Several ticks after the change, each scraped: a stale copy would show as a second sample, or a 0.
      const from = full.events.length;
      await waitFor(
        async () => {
          scrapes.push(await upSamples(bridge.url, app, server));
          return full.events.slice(from).filter((e) => e.event === PULSE_EVENTS.systemPulse).length >= 8 || undefined;
        },
        10_000,
        'eight ticks after the change',
      );
      for (const samples of scrapes) assert.deepEqual(samples, ['1'], `pulse_server_up{app="${app}",server="${server}"} on each scrape`);

      const servers = (await getJson(`${bridge.url}/api/pulse/servers?app=${app}`)).body as SystemPulseEvent;
      assert.deepEqual(
        servers.apps.map((a) => ({ app: a.app, servers: a.servers.map((s) => [s.id, s.status]), lost: a.servers_lost })),
        [{ app, servers: [[server, 'online']], lost: 0 }],
      );
      const nodes = (await getJson(`${bridge.url}/api/pulse/nodes`)).body as { nodes: Record<string, PulseNode[]> };
      assert.equal(nodes.nodes[app]?.length, 1, `one Zenith node for ${app}: ${JSON.stringify(nodes.nodes[app]?.map((n) => n.id))}`);

      const lastId = full.events.filter((e) => e.event === PULSE_EVENTS.systemPulse).at(-1)?.id;
      await waitFor(() => delta.events.some((e) => e.id === lastId) || undefined, 3_000, 'the delta client caught up');
      assertDeltaRebuildsFull(full, delta);
      assertEventsMatchProtocol(delta);
    } finally {
      await Promise.all([full.close(), delta.close()]);
    }
  }

  it("a Zenith agent's node, then a Pulse heartbeat for the same app and server: one series, online", async () => {
    const { client, bridge } = suite;
    await client.set(quasarNodeKey('dup', 'n1'), JSON.stringify(agentNode('dup', 'n1')), 'EX', 30);
    await waitFor(
      () => bridge.bridge.monitor.getAggregateMetrics().apps.find((a) => a.app === 'dup' && a.servers_online === 1),
      5_000,
      'the agent read',
    );
    await expectOneServer('dup', 'n1', async () => {
      // The process starts a Pulse SDK beside its agent (or is moved from one to the other) 2.5 s later.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      await client.set(heartbeatKey('dup', 'n1'), JSON.stringify(heartbeat('dup', 'n1')), 'EX', 30);
    });
    // The Pulse heartbeat is the record served (the agent's node is the duplicate left out).
    const served = bridge.bridge.monitor.getAggregateMetrics().apps.find((a) => a.app === 'dup')?.servers[0];
    assert.equal(served?.heartbeat.meta.app_name, 'dup');
    assert.equal(served?.heartbeat.meta.sdk, heartbeat('dup', 'n1').meta.sdk);
  });

  it('an agent id `a:b` deleted, then `a_b` (the same key part once escaped): one series, online', async () => {
    const { client, bridge } = suite;
    await client.set(quasarNodeKey('esc', 'a:b'), JSON.stringify(agentNode('esc', 'a:b')), 'EX', 30);
    await waitFor(
      () => bridge.bridge.monitor.getAggregateMetrics().apps.find((a) => a.app === 'esc' && a.servers[0]?.id === 'a_b'),
      5_000,
      'the agent a:b read as a_b',
    );
    await expectOneServer('esc', 'a_b', async () => {
      await client.del(quasarNodeKey('esc', 'a:b'));
      await client.set(quasarNodeKey('esc', 'a_b'), JSON.stringify(agentNode('esc', 'a_b')), 'EX', 30);
    });
  });
});
