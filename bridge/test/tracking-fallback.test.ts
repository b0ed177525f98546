// Where Redis refuses client-side tracking (an ACL user without CLIENT), the bridge reads every heartbeat every
// poll, as before: it says so once in the log, exports the path it runs, and still sees every write and delete;
// it asks again after a reconnect and at the safety interval, and tracks once Redis allows it.
// While only the feed's connection cannot be opened (Redis at maxclients), it reads every key and opens it again;
// while the read's or the scans' cannot, the main connection carries their reads.
// Elsewhere it tracks, and says that too; on a Redis Cluster on each master (tracking is per node), through a
// resharding, and anew after a failover.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { heartbeatKey } from '@gravito/pulse-protocol';
import {
  addUserWithoutClient,
  asUserWithoutClient,
  changeUserOf,
  killConnectionsOf,
  startRedis,
  type TestRedis,
} from '@gravito/pulse-testkit';
import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';
import { pino } from 'pino';
import { connectRedis } from '../src/redis/connection.js';
import { HeartbeatSource } from '../src/sources/heartbeats/heartbeat-source.js';
import {
  everyKeyReads,
  heartbeat,
  killClients,
  moveSlot,
  startBridge,
  startLoggedBridge,
  suiteCluster,
  suiteRedis,
  waitFor,
  withOneKilledAtMaxclients,
  writeHeartbeat,
} from './helpers.js';

type Bridge = Awaited<ReturnType<typeof startLoggedBridge>>;

/** A family of one label from the bridge's /metrics, by that label's value. */
async function seriesByLabel(url: string, family: string, label: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const series = new RegExp(`^${family}\\{${label}="(\\w+)"\\} (\\S+)$`, 'gm');
  return Object.fromEntries([...text.matchAll(series)].map(([, value, v]) => [value, Number(v)]));
}

const readPath = (url: string) => seriesByLabel(url, 'pulse_bridge_heartbeat_read_path', 'path');
const fullReads = (url: string) => seriesByLabel(url, 'pulse_bridge_heartbeat_full_reads_total', 'reason');

const servers = (bridge: Bridge, app: string) =>
  bridge.bridge.monitor
    .getAggregateMetrics()
    .apps.find((a) => a.app === app)
    ?.servers.map((s) => `${s.id}:${s.status}`)
    .sort()
    .join(' ');

/** PINGs Redis has answered since it started (INFO commandstats). */
const pings = async (redis: Redis) => Number(/^cmdstat_ping:calls=(\d+)/m.exec(await redis.info('commandstats'))?.[1] ?? 0);

const fallbackLines = (bridge: Bridge) => bridge.logs.filter((line) => String(line.msg).startsWith('heartbeats: '));

/** A heartbeat for `id` whose uptime tells this write apart from the others. */
const writeWithUptime = (writer: Cluster, app: string, id: string, uptime: number) =>
  writer.set(heartbeatKey(app, id), JSON.stringify(heartbeat(app, id, (hb) => (hb.process.uptime = uptime))), 'EX', 120);

/** `id=uptime` pairs in id order, as `onlineUptimes` gives them. */
const uptimesText = (uptimes: ReadonlyMap<string, number>) =>
  [...uptimes]
    .map(([id, uptime]) => `${id}=${uptime}`)
    .sort()
    .join(' ');

/** The app's online servers in the bridge's last snapshot, each with the uptime its heartbeat said. */
const onlineUptimes = (bridge: Bridge, app: string) =>
  uptimesText(
    new Map(
      bridge.bridge.monitor
        .getAggregateMetrics()
        .apps.find((a) => a.app === app)
        ?.servers.filter((s) => s.status === 'online')
        .map((s) => [s.id, s.heartbeat.process.uptime]),
    ),
  );

/** Writes and deletes under `bridge`, which must see each at its next polls. */
async function seesChanges(bridge: Bridge, write: (id: string) => Promise<unknown>, del: (id: string) => Promise<unknown>, app: string) {
  await write('web-1');
  await write('web-2');
  await waitFor(() => servers(bridge, app) === 'web-1:online web-2:online', 5_000, 'both servers');
  await del('web-2');
  await write('web-3');
  await waitFor(() => servers(bridge, app) === 'web-1:online web-2:lost web-3:online', 5_000, 'the delete and the new server');
}

describe('heartbeat read path', () => {
  let server: TestRedis;
  let redis: Redis;
  before(async () => {
    server = await startRedis();
    redis = server.client();
    await addUserWithoutClient(redis);
  });
  after(async () => {
    await server?.stop();
  });
  const seesStandaloneChanges = (bridge: Bridge, app: string) =>
    seesChanges(
      bridge,
      (id) => writeHeartbeat(redis, app, id),
      (id) => redis.del(heartbeatKey(app, id)),
      app,
    );

  it('scans, says so once and exports it, for a user without CLIENT', async () => {
    const app = 'no-client';
    const bridge = await startLoggedBridge({ redisUrl: asUserWithoutClient(server.url) });
    try {
      await seesStandaloneChanges(bridge, app);
      assert.deepEqual(await readPath(bridge.url), { tracking: 0, scan: 1 });
      assert.equal(bridge.bridge.monitor.heartbeats.path, 'scan');
      // Said once, however many polls.
      const polls = bridge.bridge.monitor.ticks;
      await waitFor(() => bridge.bridge.monitor.ticks >= polls + 3, 5_000, 'three more polls');
      const lines = fallbackLines(bridge);
      assert.equal(lines.length, 1, JSON.stringify(lines));
      assert.match(String(lines[0]?.msg), /refuses tracking \(NOPERM/);
    } finally {
      await bridge.stop();
    }
  });

  it('asks for tracking again after a reconnect, and tracks once Redis allows it, saying so once each way', async () => {
    const app = 'granted-later';
    const url = asUserWithoutClient(server.url);
    const bridge = await startLoggedBridge({ redisUrl: url });
    try {
      await waitFor(() => bridge.bridge.monitor.heartbeats.path === 'scan' || undefined, 5_000, 'the scan path');
      // Refused again after a reconnect: nothing new to say.
      const reconnectsAfter = async (ticks: number) => {
        await killConnectionsOf(redis, url);
        await waitFor(() => bridge.bridge.monitor.ticks >= ticks + 3 || undefined, 5_000, 'three polls after the reconnect');
      };
      const resyncs = bridge.bridge.monitor.heartbeats.resyncs.start;
      await reconnectsAfter(bridge.bridge.monitor.ticks);
      assert.equal(bridge.bridge.monitor.heartbeats.path, 'scan');
      assert.equal(fallbackLines(bridge).length, 1, JSON.stringify(fallbackLines(bridge)));
      // Granted, then seen at the next reconnect: a read of every key, then only what changed.
      await changeUserOf(redis, url, '+client');
      await reconnectsAfter(bridge.bridge.monitor.ticks);
      assert.equal(bridge.bridge.monitor.heartbeats.path, 'tracking');
      assert.equal(bridge.bridge.monitor.heartbeats.resyncs.start, resyncs + 1);
      await seesStandaloneChanges(bridge, app);
      assert.deepEqual(await readPath(bridge.url), { tracking: 1, scan: 0 });
      const lines = fallbackLines(bridge).map((line) => String(line.msg));
      assert.equal(lines.length, 2, JSON.stringify(lines));
      assert.match(lines[0] as string, /refuses tracking \(NOPERM/);
      assert.match(lines[1] as string, /reading only what changed \(redis client-side tracking\)/);
    } finally {
      await changeUserOf(redis, url, '-client');
      await bridge.stop();
    }
  });

  it('asks for tracking again at the safety interval, without a reconnect', async () => {
    const url = asUserWithoutClient(server.url);
    const handle = connectRedis(url, { timeoutMs: 2_000 });
    const source = new HeartbeatSource(handle, { maxServers: 100, resyncEveryMs: 300, log: pino({ level: 'silent' }) });
    const everyKey: boolean[] = [];
    const read = () => source.read({ begin: (all) => everyKey.push(all), values: () => {}, malformed: () => {} });
    try {
      await waitFor(() => handle.ready() || undefined, 5_000, 'the connection');
      await read();
      assert.equal(source.path, 'scan');
      await changeUserOf(redis, url, '+client');
      // Within the interval, still the scan path; past it, tracking, starting with a read of every key.
      await read();
      assert.equal(source.path, 'scan');
      await new Promise((resolve) => setTimeout(resolve, 350));
      await read();
      await read();
      assert.equal(source.path, 'tracking');
      assert.deepEqual(everyKey, [true, true, true, false]);
    } finally {
      await changeUserOf(redis, url, '-client');
      source.close();
      await handle.close();
    }
  });

  it('tracks where Redis allows it, and exports that', async () => {
    const app = 'tracked';
    const bridge = await startLoggedBridge({ redisUrl: server.url });
    try {
      await seesStandaloneChanges(bridge, app);
      assert.deepEqual(await readPath(bridge.url), { tracking: 1, scan: 0 });
      assert.equal(fallbackLines(bridge).length, 1);
      assert.match(String(fallbackLines(bridge)[0]?.msg), /client-side tracking/);
      // Every key read once, at start; then again after a reconnect (changes may have been missed meanwhile).
      assert.deepEqual(await fullReads(bridge.url), { start: 1, reconnect: 0, flush: 0, overflow: 0, interval: 0, failure: 0, cap: 0 });
      assert.equal(await killClients(redis, 'pulse-bridge'), 1);
      await waitFor(
        async () => ((await fullReads(bridge.url)).reconnect ?? 0) >= 1 || undefined,
        5_000,
        'a read of every key after the reconnect',
      );
    } finally {
      await bridge.stop();
    }
  });

  it('exports no path before the first poll', async () => {
    const bridge = await startBridge({ redisUrl: server.url }, 60_000);
    try {
      // The first poll waits for the connection; /metrics answers before it.
      const path = await readPath(bridge.url);
      if (bridge.bridge.monitor.ticks === 0) assert.deepEqual(path, { tracking: Number.NaN, scan: Number.NaN });
    } finally {
      await bridge.stop();
    }
  });
});

describe('heartbeat read path while the invalidation feed cannot be opened', () => {
  // A server of its own: the test lowers its maxclients.
  const suite = suiteRedis({ private: true });

  it('reads every key while Redis takes no new connection (maxclients), says so once, then follows changes again', async () => {
    const { client: redis } = suite;
    const app = 'crowded';
    const bridge = await startLoggedBridge({ redisUrl: suite.redis.url });
    try {
      await writeHeartbeat(redis, app, 'web-1');
      await waitFor(() => servers(bridge, app) === 'web-1:online' || undefined, 5_000, 'the first server');
      const { failure } = await fullReads(bridge.url);
      // Every connection of the bridge's is open; the feed's, killed, cannot come back while Redis is full.
      await withOneKilledAtMaxclients(redis, 'pulse-bridge-track', async () => {
        await redis.del(heartbeatKey(app, 'web-1'));
        await writeHeartbeat(redis, app, 'web-2');
        await waitFor(() => servers(bridge, app) === 'web-1:lost web-2:online' || undefined, 5_000, 'the changes, read by scanning');
        const ticks = bridge.bridge.monitor.ticks;
        const pingsBefore = await pings(redis);
        await waitFor(() => bridge.bridge.monitor.ticks >= ticks + 3 || undefined, 5_000, 'three polls more');
        assert.equal(bridge.bridge.monitor.failedPolls, 0, 'no poll failed');
        assert.ok(((await fullReads(bridge.url)).failure ?? 0) >= (failure ?? 0) + 4, 'each poll read every key');
        assert.deepEqual(await readPath(bridge.url), { tracking: 0, scan: 1 }, 'the path reads take');
        // Without the feed's barrier, each poll times a PING of its own (the round trip would otherwise stand still).
        assert.ok((await pings(redis)) - pingsBefore >= 3, 'a PING per poll');
        const lines = fallbackLines(bridge).map((line) => String(line.msg));
        assert.equal(lines.length, 2, JSON.stringify(lines));
        assert.match(lines[1] as string, /the invalidation feed cannot be opened \(.+\); polls read every key until it can/);
      });
      // Open again: said once, and only what changed is read from then on.
      await waitFor(() => fallbackLines(bridge).length === 3 || undefined, 5_000, 'the feed open again');
      assert.match(String(fallbackLines(bridge)[2]?.msg), /reading only what changed/);
      const after = (await fullReads(bridge.url)).failure;
      await writeHeartbeat(redis, app, 'web-3');
      await waitFor(() => servers(bridge, app) === 'web-1:lost web-2:online web-3:online' || undefined, 5_000, 'the new server');
      assert.equal((await fullReads(bridge.url)).failure, after, 'read by change');
      assert.deepEqual(await readPath(bridge.url), { tracking: 1, scan: 0 });
    } finally {
      await bridge.stop();
    }
  });
});

describe('reads while a connection of the bridge’s own cannot be opened', () => {
  // A server of its own: the tests lower its maxclients.
  const suite = suiteRedis({ private: true });
  const awayLines = (bridge: Bridge) => bridge.logs.filter((line) => String(line.msg).startsWith('redis: '));

  /**
   * Kills the bridge's connection `name` while Redis takes no new one: the bridge must see the changes written
   * meanwhile, fail no poll once it has, and say once that the main connection carries that one's reads
   * (`said`); once Redis takes connections again, it reads on a new `name` connection and says so once.
   */
  async function carriedByTheMain(name: string, app: string, said: RegExp, meanwhile?: (bridge: Bridge) => Promise<void>) {
    const { client: redis } = suite;
    const bridge = await startLoggedBridge({ redisUrl: suite.redis.url });
    try {
      await writeHeartbeat(redis, app, 'web-1');
      await waitFor(() => servers(bridge, app) === 'web-1:online' || undefined, 5_000, 'the first server');
      await withOneKilledAtMaxclients(redis, name, async () => {
        await redis.del(heartbeatKey(app, 'web-1'));
        await writeHeartbeat(redis, app, 'web-2');
        await waitFor(() => servers(bridge, app) === 'web-1:lost web-2:online' || undefined, 5_000, 'the changes');
        const { ticks, failedPolls } = bridge.bridge.monitor;
        await waitFor(() => bridge.bridge.monitor.ticks >= ticks + 3 || undefined, 5_000, 'three polls more');
        assert.equal(bridge.bridge.monitor.failedPolls, failedPolls, 'no poll failed');
        await meanwhile?.(bridge);
        const lines = awayLines(bridge).map((line) => String(line.msg));
        assert.equal(lines.length, 1, JSON.stringify(lines));
        assert.match(lines[0] as string, said);
        assert.equal(await killClients(redis, name), 0, `no ${name} connection`);
      });
      // The read connection is asked for at the next read: a change.
      await writeHeartbeat(redis, app, 'web-3');
      await waitFor(() => servers(bridge, app) === 'web-1:lost web-2:online web-3:online' || undefined, 5_000, 'the new server');
      await waitFor(() => awayLines(bridge).length === 2 || undefined, 5_000, 'its own connection again');
      assert.match(String(awayLines(bridge)[1]?.msg), /^redis: the bridge reads on its own connections again$/);
      assert.equal(await killClients(redis, name), 1, `a new ${name} connection`);
    } finally {
      await bridge.stop();
    }
  }

  it('reads the changed heartbeats through the main connection while the read connection cannot be opened', () =>
    carriedByTheMain(
      'pulse-bridge-read',
      'unread',
      /^redis: the read connection is away \(ERR max number of clients reached\); the main connection carries its reads until it is back$/,
    ));

  it('scans through the main connection while the scan connection cannot be opened', () =>
    carriedByTheMain(
      'pulse-bridge-scan',
      'unscanned',
      /^redis: the scan connection is away \((reconnecting|connecting|close)\); the main connection carries its reads until it is back$/,
      async (bridge) => {
        // Its close may have cut a read short: every key is read again, scanned on the main connection.
        assert.ok(((await fullReads(bridge.url)).reconnect ?? 0) >= 1, 'a read of every key');
      },
    ));
});

describe('heartbeat read path on a Redis Cluster', () => {
  const suite = suiteCluster();

  it('tracks on every master, says so once and exports it', async () => {
    const app = 'cluster-path';
    const bridge = await startLoggedBridge({ redisUrl: suite.cluster.seeds });
    const resyncs = () => everyKeyReads(bridge.bridge.monitor);
    try {
      await seesChanges(
        bridge,
        (id) => suite.writer.set(heartbeatKey(app, id), JSON.stringify(heartbeat(app, id)), 'EX', 60),
        (id) => suite.writer.del(heartbeatKey(app, id)),
        app,
      );
      // Keys on all three masters are seen, by reads of changes only.
      const before = resyncs();
      for (let i = 0; i < 30; i++) await suite.writer.set(heartbeatKey(app, `s-${i}`), JSON.stringify(heartbeat(app, `s-${i}`)), 'EX', 60);
      assert.equal((await Promise.all(suite.writer.nodes('master').map((n) => n.dbsize()))).filter((n) => n > 0).length, 3);
      await waitFor(() => (servers(bridge, app)?.split(' ').length ?? 0) === 33, 5_000, 'all 33');
      // Deleted on every master: each master's feed names its own keys.
      for (let i = 0; i < 30; i += 2) await suite.writer.del(heartbeatKey(app, `s-${i}`));
      await waitFor(() => (servers(bridge, app)?.match(/:lost/g)?.length ?? 0) === 16, 5_000, '15 more lost');
      assert.equal(resyncs(), before, 'read by change, not by reading every key');
      assert.equal(bridge.bridge.monitor.heartbeats.path, 'tracking');
      assert.deepEqual(await readPath(bridge.url), { tracking: 1, scan: 0 });
      const lines = fallbackLines(bridge);
      assert.equal(lines.length, 1, JSON.stringify(lines));
      assert.match(String(lines[0]?.msg), /client-side tracking, on each of 3 masters/);
    } finally {
      await bridge.stop();
    }
  });
});

describe('tracked heartbeat reads across a Redis Cluster resharding', () => {
  const suite = suiteCluster();

  it('sees keys moved to another master, and every write and delete after, by change', async () => {
    const app = 'reshard';
    const write = (id: string, uptime: number) => writeWithUptime(suite.writer, app, id, uptime);
    const expected = new Map<string, number>();
    const seen = (bridge: Bridge) => onlineUptimes(bridge, app);
    const expectedText = () => uptimesText(expected);
    // Servers whose keys share one slot, and others elsewhere.
    const slot = calculateSlot(heartbeatKey(app, 'moved-0'));
    const movedIds = ['moved-0'];
    for (let i = 0; movedIds.length < 6; i++) if (calculateSlot(heartbeatKey(app, `m-${i}`)) === slot) movedIds.push(`m-${i}`);
    const ids = [...movedIds, ...Array.from({ length: 20 }, (_, i) => `s-${i}`)];
    const bridge = await startLoggedBridge({ redisUrl: suite.cluster.seeds });
    const resyncs = () => everyKeyReads(bridge.bridge.monitor);
    try {
      for (const id of ids) {
        await write(id, 1);
        expected.set(id, 1);
      }
      await waitFor(() => seen(bridge) === expectedText() || undefined, 10_000, 'every server before the resharding');
      const before = resyncs();
      // Move the slot to another master as redis-cli --cluster reshard does.
      const { target, keys } = await moveSlot(suite.writer, slot);
      assert.equal(keys.length, movedIds.length);
      // The moved keys were deleted on one master and written on the other: each names them. Changes after it
      // land on the new owner.
      await write('moved-0', 2);
      expected.set('moved-0', 2);
      await suite.writer.del(heartbeatKey(app, movedIds[1] as string));
      expected.delete(movedIds[1] as string);
      await write('s-0', 2);
      expected.set('s-0', 2);
      await waitFor(() => seen(bridge) === expectedText() || undefined, 10_000, 'the moved keys and the changes after');
      assert.equal(resyncs(), before, 'read by change: the masters did not change');
      assert.equal((await target.cluster('COUNTKEYSINSLOT', slot)) as number, movedIds.length - 1);
    } finally {
      await bridge.stop();
    }
  });
});

describe('tracked heartbeat reads across a Redis Cluster failover', () => {
  const suite = suiteCluster({ failover: true });

  it('opens a feed on the promoted master and sees every write and delete after it', async () => {
    const app = 'failover';
    const write = (id: string, uptime: number) => writeWithUptime(suite.writer, app, id, uptime);
    const uptimes = (bridge: Bridge) => onlineUptimes(bridge, app);
    const expected = new Map<string, number>();
    const expectedText = () => uptimesText(expected);
    const bridge = await startLoggedBridge({ redisUrl: suite.cluster.seeds, redisTimeoutMs: 1_000 });
    try {
      for (let i = 0; i < 30; i++) {
        await write(`s-${i}`, 1);
        expected.set(`s-${i}`, 1);
      }
      await waitFor(() => uptimes(bridge) === expectedText() || undefined, 10_000, 'all 30 before the failover');
      assert.equal(bridge.bridge.monitor.heartbeats.path, 'tracking');
      const reconnects = bridge.bridge.monitor.heartbeats.resyncs.reconnect;
      // Kill the master holding s-0: its replica takes over after the node timeout.
      const owner = suite.writer.slots[calculateSlot(heartbeatKey(app, 's-0'))]?.[0];
      assert.ok(owner, 'the master of s-0');
      await suite.cluster.kill(Number(owner.split(':').at(-1)));
      // Writes on every master (retried until the promoted master takes them), deletes, new servers.
      for (let i = 0; i < 30; i++) {
        const id = `s-${i}`;
        for (const deadline = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 200))) {
          try {
            if (i % 3 === 0) {
              await suite.writer.del(heartbeatKey(app, id));
              expected.delete(id);
            } else {
              await write(id, 2);
              expected.set(id, 2);
            }
            break;
          } catch (err) {
            if (Date.now() > deadline) throw err;
          }
        }
      }
      await waitFor(() => uptimes(bridge) === expectedText() || undefined, 20_000, 'every change after the failover');
      assert.equal(bridge.bridge.monitor.heartbeats.path, 'tracking');
      assert.ok(bridge.bridge.monitor.heartbeats.resyncs.reconnect > reconnects, 'the lost master made it read every key');
      // And by change again once the feeds are on the new masters. The cluster client may still drop the dead
      // master from its node list after the changes show (which makes the next read cover every key, as any change
      // of masters does): wait for five polls in a row that read by change first.
      const monitor = bridge.bridge.monitor;
      let settled = { ticks: monitor.ticks, reads: everyKeyReads(monitor) };
      await waitFor(
        () => {
          if (everyKeyReads(monitor) !== settled.reads) settled = { ticks: monitor.ticks, reads: everyKeyReads(monitor) };
          return monitor.ticks >= settled.ticks + 5 || undefined;
        },
        15_000,
        'five polls in a row by change after the failover',
      );
      // A poll that fails (past its deadline, on a loaded machine) is followed by a read of every key: not the
      // feeds' doing, so not counted here.
      const { failure: _failedBefore, ...resyncs } = bridge.bridge.monitor.heartbeats.resyncs;
      await write('s-1', 3);
      expected.set('s-1', 3);
      await waitFor(() => uptimes(bridge) === expectedText() || undefined, 5_000, 'a write after the failover');
      const { failure: _failedAfter, ...after } = bridge.bridge.monitor.heartbeats.resyncs;
      assert.deepEqual(after, resyncs, 'read by change');
    } finally {
      await bridge.stop();
    }
  });
});
