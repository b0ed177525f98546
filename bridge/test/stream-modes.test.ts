import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  heartbeatKey,
  PULSE_EVENTS,
  type PulseSlowEvent,
  type SystemPulseDeltaEvent,
  type SystemPulseEvent,
  slowKey,
  slowStreamFields,
} from '@gravito/pulse-protocol';
import type { Redis } from 'ioredis';
import { documentParts } from '../src/monitor/snapshot-encoding.js';
import { joinPays } from '../src/outputs/sse/joined-parts.js';
import {
  applyDelta,
  assertEventsMatchProtocol,
  getJson,
  heartbeat,
  SseClient,
  slowEntry,
  type startBridge,
  suiteRedisAndBridge,
  waitFor,
} from './helpers.js';

const INTERVAL = 200;
/** Heartbeats say they are written every 100 ms: one not rewritten for 300 ms turns lost (same record, new status). */
const HEARTBEAT_INTERVAL = 100;

/** The state a delta stream describes at each event id, from its first system_pulse on. */
function rebuild(client: SseClient): Map<string, SystemPulseEvent> {
  const states = new Map<string, SystemPulseEvent>();
  let state: SystemPulseEvent | undefined;
  for (const event of client.events) {
    if (event.event === PULSE_EVENTS.systemPulse) state = JSON.parse(event.data);
    else if (event.event === PULSE_EVENTS.systemPulseDelta) {
      assert.ok(state, 'a delta comes after a full system_pulse');
      state = applyDelta(state, JSON.parse(event.data));
    } else continue;
    states.set(event.id as string, state as SystemPulseEvent);
  }
  return states;
}

/** A seeded generator, so that a failing run can be replayed. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    return x / 2_147_483_648;
  };
}

async function writeServer(client: Redis, app: string, id: string, cpu: number): Promise<void> {
  const hb = heartbeat(app, id, (h) => {
    h.system.cpu_usage = cpu;
    h.meta.interval_ms = HEARTBEAT_INTERVAL;
  });
  await client.set(heartbeatKey(app, id), JSON.stringify(hb), 'EX', 30);
}

describe('stream subscriptions: app filter and delta mode', () => {
  const suite = suiteRedisAndBridge(INTERVAL, { forgetAfterMs: 1_200 });
  let client: Redis;
  let bridge: Awaited<ReturnType<typeof startBridge>>;
  before(() => {
    ({ client, bridge } = suite);
  });

  it('refuses bad subscription parameters with 400 and the reason', async () => {
    const cases: [string, string][] = [
      ['mode=deltas', 'mode'],
      ['app=a,,b', 'app'],
      ['app=a%20b', 'app'],
      [`app=${Array.from({ length: 101 }, (_, i) => `a${i}`).join(',')}`, 'app'],
      ['app=a&app=b', 'app'],
      ['mode=full&mode=delta', 'mode'],
    ];
    for (const [query, parameter] of cases) {
      const res = await getJson(`${bridge.url}/api/pulse/stream?${query}`);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.parameter, parameter, query);
      assert.match(res.body.error, new RegExp(`^${parameter} must`), query);
    }
    assert.equal(bridge.bridge.sse.size, 0, 'no stream was opened');
  });

  it('?app=a,b sends only those apps: their servers, summaries and slow entries', async () => {
    for (const app of ['filter-a', 'filter-b', 'filter-c']) await writeServer(client, app, 'web-1', 10);
    await waitFor(
      () => bridge.bridge.monitor.getAggregateMetrics().apps.filter((a) => a.app.startsWith('filter-')).length === 3,
      3_000,
      'apps',
    );
    const sse = await SseClient.connect(`${bridge.url}/api/pulse/stream?app=filter-b,filter-a,filter-a`);
    try {
      assert.equal(sse.status, 200);
      await waitFor(() => sse.of(PULSE_EVENTS.systemPulse).length >= 3, 3_000, 'three pulses');
      for (const pulse of sse.of<SystemPulseEvent>(PULSE_EVENTS.systemPulse)) {
        assert.deepEqual(
          pulse.apps.map((a) => a.app),
          ['filter-a', 'filter-b'],
        );
      }
      const full = (await getJson(`${bridge.url}/api/pulse/servers`)).body as SystemPulseEvent;
      assert.ok(
        full.apps.some((a) => a.app === 'filter-c'),
        'the unfiltered aggregate has the third app',
      );
      // Slow entries of a followed app come through; those of another app do not.
      for (const app of ['filter-c', 'filter-a']) {
        await client.xadd(slowKey(app), '*', ...slowStreamFields(slowEntry({ route: `/${app}` })));
      }
      const slow = await sse.waitFor<PulseSlowEvent>(PULSE_EVENTS.slow, (e) => e.app === 'filter-a', 3_000);
      assert.equal(slow.entry.route, '/filter-a');
      await waitFor(() => sse.of(PULSE_EVENTS.systemPulse).length >= 8, 3_000, 'more pulses');
      assert.deepEqual(
        sse.of<PulseSlowEvent>(PULSE_EVENTS.slow).map((e) => e.app),
        ['filter-a'],
      );
      assertEventsMatchProtocol(sse);
    } finally {
      await sse.close();
    }
  });

  it('delta mode: after random churn the state rebuilt from deltas equals the full system_pulse of every tick', async () => {
    const next = random(11);
    const apps = ['churn-a', 'churn-b', 'churn-c'];
    const live = new Set<string>();
    for (const app of apps) {
      for (let i = 0; i < 10; i++) {
        await writeServer(client, app, `s${i}`, 20);
        live.add(`${app}/s${i}`);
      }
    }
    await waitFor(
      () => bridge.bridge.monitor.getAggregateMetrics().apps.filter((a) => a.app.startsWith('churn-')).length === 3,
      3_000,
      'apps',
    );
    const full = await SseClient.connect(`${bridge.url}/api/pulse/stream`);
    const delta = await SseClient.connect(`${bridge.url}/api/pulse/stream?mode=delta`);
    const filtered = await SseClient.connect(`${bridge.url}/api/pulse/stream?mode=delta&app=churn-b,churn-new`);
    try {
      // Each round, between polls: some heartbeats change, some stop (lost, then forgotten), some keys are
      // deleted (lost at once), new servers and a new app appear; a whole app goes away.
      let fresh = 0;
      for (let round = 0; round < 14; round++) {
        for (const server of [...live]) {
          const [app, id] = server.split('/') as [string, string];
          const roll = next();
          if (roll < 0.3) await writeServer(client, app, id, Math.round(next() * 100));
          else if (roll < 0.36) {
            await client.del(heartbeatKey(app, id));
            live.delete(server);
          } else if (roll < 0.4)
            live.delete(server); // no longer written: turns lost by age
          else if (roll < 0.9) await writeServer(client, app, id, 20); // rewritten: online, new timestamp
        }
        for (let n = Math.floor(next() * 3); n > 0; n--) {
          // churn-c gets no new server once it has gone (round 5).
          const from = round < 5 ? apps : apps.slice(0, 2);
          const app = next() < 0.5 ? 'churn-new' : (from[Math.floor(next() * from.length)] as string);
          await writeServer(client, app, `n${fresh}`, 30);
          live.add(`${app}/n${fresh++}`);
        }
        if (round === 5) {
          // Every key of churn-c, the stopped ones included (their keys would keep them remembered as lost).
          await client.del(...(await client.keys('pulse:server:churn-c:*')));
          for (const server of [...live]) if (server.startsWith('churn-c/')) live.delete(server);
        }
        await new Promise((r) => setTimeout(r, INTERVAL * (0.5 + next())));
      }
      // churn-c was deleted at round 5 and forgotten 1.2 s later: the deltas must have removed it.
      await waitFor(
        () =>
          full
            .of<SystemPulseEvent>(PULSE_EVENTS.systemPulse)
            .at(-1)
            ?.apps.every((a) => a.app !== 'churn-c'),
        3_000,
        'churn-c forgotten',
      );
      const lastId = full.events.filter((e) => e.event === PULSE_EVENTS.systemPulse).at(-1)?.id as string;
      await waitFor(
        () => delta.events.some((e) => e.id === lastId) && filtered.events.some((e) => e.id === lastId),
        3_000,
        'deltas caught up',
      );

      const fullStates = new Map(
        full.events
          .filter((e) => e.event === PULSE_EVENTS.systemPulse)
          .map((e) => [e.id as string, JSON.parse(e.data) as SystemPulseEvent]),
      );
      const rebuilt = rebuild(delta);
      const rebuiltFiltered = rebuild(filtered);
      let compared = 0;
      let sawForgottenApp = false;
      let sawForgottenServer = false;
      for (const [id, state] of rebuilt) {
        const expected = fullStates.get(id);
        if (expected === undefined) continue; // the greeting: its own id
        assert.deepEqual(state, expected, `state at event ${id}`);
        const only = { ...expected, apps: expected.apps.filter((a) => a.app === 'churn-b' || a.app === 'churn-new') };
        assert.deepEqual(rebuiltFiltered.get(id), only, `filtered state at event ${id}`);
        compared++;
      }
      for (const d of delta.of<SystemPulseDeltaEvent>(PULSE_EVENTS.systemPulseDelta)) {
        sawForgottenApp ||= d.apps_forgotten.includes('churn-c');
        sawForgottenServer ||= d.apps.some((a) => a.forgotten.length > 0);
      }
      assert.ok(compared >= 10, `compared ${compared} ticks`);
      assert.ok(sawForgottenApp && sawForgottenServer, 'the churn forgot servers and a whole app');
      const kinds = delta.events.filter((e) => e.event.startsWith('system_pulse')).map((e) => e.event);
      assert.equal(kinds[0], PULSE_EVENTS.systemPulse, 'a full system_pulse first');
      assert.ok(
        kinds.slice(1).every((k) => k === PULSE_EVENTS.systemPulseDelta),
        'then only deltas',
      );
      assertEventsMatchProtocol(delta);
      assertEventsMatchProtocol(filtered);
    } finally {
      await Promise.all([full.close(), delta.close(), filtered.close()]);
    }
  });

  it("a pulse is the same bytes whether its clients are handed the document's buffers or pieces joined for many", async () => {
    await client.flushall();
    // Several apps: the document holds each app's object in a buffer of its own. Online for the whole test, never
    // rewritten: every pulse holds the same apps.
    for (let a = 0; a < 6; a++)
      for (let i = 0; i < 20; i++)
        await client.set(
          heartbeatKey(`joined-${a}`, `s${i}`),
          JSON.stringify(
            heartbeat(`joined-${a}`, `s${i}`, (h) => {
              h.timestamp = Date.now() + 3_600_000;
            }),
          ),
          'EX',
          60,
        );
    // Only these six, every server of each (the apps of the tests before are forgotten once their time is up).
    const ready = (apps: { app: string; servers: unknown[] }[]) =>
      apps.length === 6 && apps.every((a) => a.app.startsWith('joined-') && a.servers.length === 20);
    await waitFor(() => ready(bridge.bridge.monitor.getAggregateMetrics().apps) || undefined, 5_000, 'the six apps alone');
    const pulses = (sse: SseClient) => sse.events.filter((e) => e.event === PULSE_EVENTS.systemPulse);
    // A pulse's apps array (its head carries the tick's time).
    const appsOf = (sse: SseClient) =>
      pulses(sse)
        .at(-1)
        ?.data.replace(/^.*?"apps":/, '');
    // One client is handed the document's buffers, and as many as these share joined pieces.
    const parts = documentParts(bridge.bridge.monitor.lastSnapshot().document);
    const joinedFor = Array.from({ length: 64 }, (_, i) => i + 1).find((clients) => joinPays(parts, clients)) as number;
    assert.ok(!joinPays(parts, 1) && joinedFor > 1, `one client is handed ${parts.length} buffers as they are`);
    const alone = await SseClient.connect(`${bridge.url}/api/pulse/stream`);
    const many: SseClient[] = [];
    try {
      await waitFor(() => pulses(alone).length >= 3 || undefined, 3_000, 'pulses to one client');
      const handed = appsOf(alone) as string;
      assert.equal(JSON.parse(handed.slice(0, -1)).length, 6);
      many.push(...(await Promise.all(Array.from({ length: joinedFor - 1 }, () => SseClient.connect(`${bridge.url}/api/pulse/stream`)))));
      const seen = pulses(alone).length;
      await waitFor(() => many.every((sse) => pulses(sse).length >= 3) || undefined, 3_000, 'pulses to every client');
      assert.ok(pulses(alone).length >= seen + 2, 'the first client was sent pulses with the others');
      for (const sse of [alone, ...many]) assert.equal(appsOf(sse), handed);
    } finally {
      await Promise.all([alone, ...many].map((sse) => sse.close()));
    }
  });

  it('delta mode: an unchanged tick is a few bytes, and a reconnect with Last-Event-ID starts from the full state', async () => {
    await client.flushall();
    for (let i = 0; i < 50; i++)
      await client.set(
        heartbeatKey('quiet', `s${i}`),
        JSON.stringify(
          heartbeat('quiet', `s${i}`, (h) => {
            h.timestamp = Date.now() + 3_600_000; // online for the whole test, never rewritten
          }),
        ),
        'EX',
        60,
      );
    await waitFor(() => bridge.bridge.monitor.getAggregateMetrics().apps.length === 1, 5_000, 'only the quiet app');
    const first = await SseClient.connect(`${bridge.url}/api/pulse/stream?mode=delta`);
    await waitFor(() => first.of(PULSE_EVENTS.systemPulseDelta).length >= 3, 3_000, 'deltas');
    await first.close();
    const fullBytes = first.events.find((e) => e.event === PULSE_EVENTS.systemPulse)?.data.length as number;
    const last = first.events.filter((e) => e.event === PULSE_EVENTS.systemPulseDelta).at(-1);
    assert.deepEqual(JSON.parse(last?.data as string).apps, [], 'nothing changed');
    assert.ok((last?.data.length as number) < fullBytes / 100, 'an empty delta is tiny next to the full state');

    const again = await SseClient.connect(`${bridge.url}/api/pulse/stream?mode=delta`, { 'Last-Event-ID': last?.id as string });
    try {
      const state = await again.waitFor<SystemPulseEvent>(PULSE_EVENTS.systemPulse, () => true, 2_000);
      assert.equal(state.apps[0]?.servers.length, 50);
      assert.equal(again.events.filter((e) => e.event.startsWith('system_pulse'))[0]?.event, PULSE_EVENTS.systemPulse);
    } finally {
      await again.close();
    }
  });
});
