// Reads proportional to change (issue 26): a bridge that fetches only the heartbeats and Zenith agents' nodes Redis
// says changed must see, after every poll, exactly what a read of every key sees. Random writes, deletes, expiries,
// evictions, FLUSHDB, a Redis restart and killed connections (the invalidation feed's, the reading ones) on a real
// redis-server. Its snapshot, built from only what changed, must also be byte for byte the one a bridge that reads
// every key and builds every app anew makes at the same time: both poll at a time the test moves on by 0–4 s a
// step, so that servers go lost, come back and are forgotten.
// The seed is printed on failure; TRACKING_SEED=<n> replays it, TRACKING_STEPS=<n> runs longer.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  HEARTBEAT_SCAN_PATTERN,
  heartbeatKey,
  isMirroredNodeJson,
  MAX_HEARTBEAT_BYTES,
  MAX_PULSE_NODE_BYTES,
  MIRROR_META_KEY,
  type PulseHeartbeat,
  type PulseNode,
  parseHeartbeat,
  parsePulseNode,
  QUASAR_NODE_SCAN_PATTERN,
  quasarNodeKey,
} from '@gravito/pulse-protocol';
import { eventually, seededRandom, startRedis, type TestRedis } from '@gravito/pulse-testkit';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { healthScore } from '../src/monitor/health.js';
import { MonitorService } from '../src/monitor/monitor-service.js';
import type { EncodedDocument } from '../src/monitor/snapshot-encoding.js';
import { connectRedis, type RedisHandle } from '../src/redis/connection.js';
import { QuasarReader } from '../src/sources/quasar/reader.js';
import { everyKeyReads, heartbeat, killClients, rareSchedule } from './helpers.js';

/** A document's apps array without its brackets (its head differs between bridges: their own times). */
const appsText = (document: EncodedDocument) => [...document.apps.values()].join(',');

const SEED = Number(process.env.TRACKING_SEED ?? Math.floor(Math.random() * 2 ** 31));
const STEPS = Number(process.env.TRACKING_STEPS ?? 360);
const APPS = 3;
const IDS = 8;
const FILLERS = 300;
/**
 * Keys with a long TTL: Redis's active expiry samples keys that have one and stops while few of the sample have
 * expired, so among these a short-lived heartbeat can sit in Redis expired for seconds, until read: the bridge
 * must ask for it on time itself.
 */
const LONG_LIVED = 3_000;

const AGENT: PulseNode = JSON.parse(readFileSync(new URL('../../protocol/vectors/pulse-node.json', import.meta.url), 'utf8')).cases[1]
  .value;

async function keysLike(redis: Redis, pattern: string): Promise<Set<string>> {
  const keys = new Set<string>();
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    for (const key of batch) keys.add(key);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

/** What a read of every key sees: each valid heartbeat's and agent's node's key and raw value. */
async function fullRead(redis: Redis): Promise<Map<string, string>> {
  const view = new Map<string, string>();
  for (const key of await keysLike(redis, HEARTBEAT_SCAN_PATTERN)) {
    const raw = await redis.get(key).catch(() => null); // another type: not a heartbeat
    if (raw !== null && raw.length <= MAX_HEARTBEAT_BYTES && parseHeartbeat(raw).ok) view.set(key, raw);
  }
  for (const key of await keysLike(redis, QUASAR_NODE_SCAN_PATTERN)) {
    const raw = await redis.get(key).catch(() => null);
    if (raw !== null && raw.length <= MAX_PULSE_NODE_BYTES && !isMirroredNodeJson(raw) && parsePulseNode(raw).ok) view.set(key, raw);
  }
  return view;
}

/** What the bridge's last snapshot holds as current: servers whose key it read, with the value read. */
function bridgeView(monitor: MonitorService): Map<string, string> {
  const view = new Map<string, string>();
  for (const app of monitor.lastSnapshot().apps) for (const { record } of app.servers) if (!record.gone) view.set(record.key, record.raw);
  return view;
}

describe('tracked heartbeat reads against a read of every key', { timeout: 120_000 }, () => {
  let server: TestRedis;
  let redis: Redis;
  let handle: RedisHandle;
  let monitor: MonitorService;
  let reader: QuasarReader;
  /** The bridge that reads every key and builds every app anew, polled at the same time. */
  let everyKey: { handle: RedisHandle; monitor: MonitorService; reader: QuasarReader };
  /** The time both bridges poll at: moved on by the test. */
  let now = Date.now();

  function bridge(handle: RedisHandle, reader: QuasarReader, heartbeatReads: 'tracking' | 'scan') {
    return new MonitorService(
      handle,
      {
        intervalMs: 60_000,
        lostAfterMs: 60_000,
        forgetAfterMs: 120_000,
        tickTimeoutMs: 2_000,
        maxServers: 1_000,
        quasar: reader,
        heartbeatReads,
        wallClock: () => now,
      },
      pino({ level: 'silent' }),
    );
  }

  before(async () => {
    server = await startRedis({ faults: true });
    redis = server.client();
    handle = connectRedis(server.url, { timeoutMs: 2_000 });
    reader = new QuasarReader();
    monitor = bridge(handle, reader, 'tracking');
    const everyKeyHandle = connectRedis(server.url, { timeoutMs: 2_000 });
    const everyKeyReader = new QuasarReader();
    everyKey = { handle: everyKeyHandle, reader: everyKeyReader, monitor: bridge(everyKeyHandle, everyKeyReader, 'scan') };
  });

  after(async () => {
    await monitor?.stop();
    await handle?.close();
    await everyKey?.monitor.stop();
    await everyKey?.handle.close();
    await server?.stop();
  });

  it(`sees what a full read sees after every poll (seed ${SEED})`, async () => {
    const next = seededRandom(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
    const key = () => heartbeatKey(`app-${Math.floor(next() * APPS)}`, `srv-${Math.floor(next() * IDS)}`);
    /** An agent's node key, and its node: its own service and id, so that no two keys name one server. */
    const nodeKey = () => quasarNodeKey('agents', `node-${Math.floor(next() * IDS)}`);
    const node = (key: string, meta: PulseNode['meta'] = AGENT.meta) =>
      JSON.stringify({ ...AGENT, service: 'agents', id: key.split(':').pop(), timestamp: now, meta, pid: Math.floor(next() * 1e6) });
    /** A heartbeat stamped at the test's time. */
    const stamped = (patch: (hb: PulseHeartbeat) => void = () => {}) =>
      JSON.stringify(
        heartbeat('x', 'y', (hb) => {
          hb.timestamp = now;
          patch(hb);
        }),
      );
    const met = new Map<string, number>();
    const meet = (what: string) => met.set(what, (met.get(what) ?? 0) + 1);
    const fillers = async () => {
      await redis.mset(Object.fromEntries(Array.from({ length: FILLERS }, (_, i) => [`filler:${i}`, 'f'.repeat(1_024)])));
      const pipeline = redis.pipeline();
      for (let i = 0; i < LONG_LIVED; i++) pipeline.set(`long-lived:${i}`, '1', 'EX', 3_600);
      await pipeline.exec();
    };
    await fillers();

    const ops: Record<string, () => Promise<unknown>> = {
      write: () =>
        redis.set(
          key(),
          stamped((hb) => (hb.process.uptime = Math.floor(next() * 1e6))),
        ),
      'write with a long TTL': () => redis.set(key(), stamped(), 'EX', 600),
      // Expires before the poll (the step waits longer): the poll must notice, whether or not Redis deleted it yet.
      'write that expires': () => redis.set(key(), stamped(), 'PX', 1 + Math.floor(next() * 10)),
      'write a stopped server': () =>
        redis.set(
          key(),
          stamped((hb) => (hb.state = 'stopped')),
        ),
      'expire an existing key': () => redis.pexpire(key(), 1 + Math.floor(next() * 10)),
      'invalid value': () => redis.set(key(), '{"not":"a heartbeat"}'),
      'value over the bound': () => redis.set(key(), 'x'.repeat(MAX_HEARTBEAT_BYTES + 1)),
      'wrong type': async () => {
        const k = key();
        await redis.del(k);
        await redis.rpush(k, 'a');
      },
      'malformed key': () => redis.set(`pulse:server:no-id-${Math.floor(next() * 3)}`, '{}'),
      delete: () => redis.del(key()),
      'agent node': () => {
        const k = nodeKey();
        return redis.set(k, node(k), 'EX', 30);
      },
      'agent node that expires': () => {
        const k = nodeKey();
        return redis.set(k, node(k), 'PX', 1 + Math.floor(next() * 10));
      },
      'agent node rewritten as it was': async () => {
        const k = nodeKey();
        const value = await redis.get(k).catch(() => null);
        if (value !== null) await redis.set(k, value, 'EX', 30);
      },
      'invalid agent node': () => redis.set(nodeKey(), '{"service":1}'),
      'agent node over the bound': () => redis.set(nodeKey(), 'n'.repeat(MAX_PULSE_NODE_BYTES + 1)),
      "a bridge's mirrored node": () => {
        const k = nodeKey();
        return redis.set(k, node(k, { [MIRROR_META_KEY]: { mirror: true, app: 'a', server: 's', environment: 'e', app_version: '1' } }));
      },
      'delete an agent node': () => redis.del(nodeKey()),
    };
    // Each rare case once in about `every` steps, at a random step of each such span: met STEPS / every times.
    const rare: [string, number, () => Promise<unknown>][] = [
      [
        'FLUSHDB',
        30,
        async () => {
          await redis.flushdb();
          await fillers();
        },
      ],
      [
        'evictions',
        20,
        async () => {
          const used = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
          await redis.config('SET', 'maxmemory-policy', 'allkeys-random');
          await redis.config('SET', 'maxmemory', String(used - 120_000));
          await redis.set('filler:trigger', 'x').catch(() => {});
          await redis.config('SET', 'maxmemory', '0');
          await fillers();
        },
      ],
      [
        'Redis restart',
        60,
        async () => {
          await server.restart();
          await eventually('redis back', () => redis.ping(), 10_000);
          await fillers();
        },
      ],
      ['feed connection killed', 20, () => killClients(redis, 'pulse-bridge-track')],
      ['reading connection killed', 25, () => killClients(redis, pick(['pulse-bridge', 'pulse-bridge-scan', 'pulse-bridge-read']))],
    ];

    const rareDue = rareSchedule(
      next,
      rare.map(([name, every]) => [name, every] as const),
    );
    const runRare = new Map(rare.map(([name, , run]) => [name, run]));
    let partial = 0;
    for (let step = 0; step < STEPS; step++) {
      const done: string[] = [];
      const count = 1 + Math.floor(next() * 6);
      for (let i = 0; i < count; i++) {
        const name = pick(Object.keys(ops));
        await ops[name]?.();
        done.push(name);
      }
      for (const name of rareDue(step)) {
        await runRare.get(name)?.();
        done.push(name);
      }
      for (const name of done) meet(name);
      await new Promise((resolve) => setTimeout(resolve, 15));
      const resyncsBefore = everyKeyReads(monitor);
      // A poll right after a kill or a restart may fail (connections coming back): the next one must be right.
      await eventually(
        'a poll that succeeds, with a Quasar read that does',
        async () => {
          await monitor.tick();
          return monitor.polls.ok && reader.stale === undefined;
        },
        15_000,
        { everyMs: 50 },
      );
      if (everyKeyReads(monitor) === resyncsBefore) partial++;
      const expected = await fullRead(redis);
      assert.deepEqual(
        Object.fromEntries(bridgeView(monitor)),
        Object.fromEntries(expected),
        `step ${step} after ${done.join(', ')}: replay with TRACKING_SEED=${SEED}`,
      );
      await eventually(
        'a poll of the bridge that reads every key that succeeds',
        async () => {
          await everyKey.monitor.tick();
          return everyKey.monitor.polls.ok && everyKey.reader.stale === undefined;
        },
        15_000,
        { everyMs: 50 },
      );
      const built = monitor.lastSnapshot();
      const rebuilt = everyKey.monitor.lastSnapshot();
      assert.deepEqual(
        built.event.apps,
        rebuilt.event.apps,
        `step ${step}: the apps built from changes (replay with TRACKING_SEED=${SEED})`,
      );
      assert.equal(
        appsText(built.document),
        appsText(rebuilt.document),
        `step ${step}: the document built from changes (replay with TRACKING_SEED=${SEED})`,
      );
      // Both encode alike (an app's unchanged servers copied from the last document): the bytes say what the apps do.
      assert.deepEqual(
        JSON.parse(`[${appsText(built.document)}]`),
        built.event.apps,
        `step ${step}: the document's bytes (replay with TRACKING_SEED=${SEED})`,
      );
      for (const app of built.event.apps) {
        for (const { status } of app.servers) meet(`server ${status}`);
        // Each server's share is kept from heartbeat to heartbeat: the score is still the one of its servers now.
        const online = app.servers.filter((server) => server.status === 'online').map((server) => server.heartbeat);
        const score = healthScore({ online, lost: app.servers_lost, stopped: app.servers_stopped, slowPerMinute: 0, errorsPerMinute: 0 });
        assert.deepEqual(app.health, score, `step ${step}: ${app.app}'s health (replay with TRACKING_SEED=${SEED})`);
      }
      now += Math.floor(next() * 4_000);
    }
    console.log(
      `seed ${SEED}, ${STEPS} steps, ${partial} polls read only changes; met:`,
      Object.fromEntries(met),
      monitor.heartbeats.resyncs,
      `${reader.readsOfChanges} Quasar reads of changes only`,
    );
    assert.equal(monitor.heartbeats.path, 'tracking');
    // The test means something only if most polls read changes only, and every case came up several times.
    assert.ok(partial > STEPS / 2, `only ${partial} of ${STEPS} polls read changes only`);
    assert.ok(reader.readsOfChanges > STEPS / 2, `only ${reader.readsOfChanges} of ${STEPS} Quasar reads read changes only`);
    for (const name of [...Object.keys(ops), ...rare.map(([n]) => n), 'server online', 'server lost', 'server stopped'])
      assert.ok((met.get(name) ?? 0) >= 3, `${name} met ${met.get(name) ?? 0} times (seed ${SEED})`);
  });
});
