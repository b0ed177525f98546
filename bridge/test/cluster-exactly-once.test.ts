// A real 3-master + 3-replica Redis Cluster under faults: a master frozen, a master killed (failover), a whole
// shard down. Every slow entry and exception that lands in Redis is counted once in /metrics and sent once on
// SSE, however many of the bridge's polls fail meanwhile; and while the cluster refuses reads, /readyz is not 200.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  errorsKey,
  heartbeatKey,
  PULSE_EVENTS,
  type PulseErrorEvent,
  type PulseSlowEvent,
  parseSlowStreamFields,
  type SlowEntry,
  slowEntryIdentity,
  slowKey,
  slowStreamFields,
} from '@gravito/pulse-protocol';
import calculateSlot from 'cluster-key-slot';
import { Redis } from 'ioredis';
import { errorEntry, getJson, heartbeat, SseClient, slowEntry, startBridge, suiteCluster, waitFor } from './helpers.js';

const INTERVAL = 200;
/** How long a frozen master stays frozen, and a whole shard down (the cluster refuses every read meanwhile). */
const FROZEN_MS = 6_000;
const SHARD_DOWN_MS = 20_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One master and its replicas, by port, with the slot ranges it serves. */
interface Shard {
  master: number;
  replicas: number[];
  ranges: [number, number][];
}

/** A short-lived connection to one node (a frozen node must not hold the caller). */
async function askNode<T>(port: number, ask: (node: Redis) => Promise<T>): Promise<T> {
  const node = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 0, commandTimeout: 1_000, connectTimeout: 1_000, lazyConnect: true });
  node.on('error', () => {});
  try {
    await node.connect();
    return await ask(node);
  } finally {
    node.disconnect();
  }
}

/** The shards as a node with `cluster_state:ok` sees them (`CLUSTER SLOTS` lists only replicas it can reach). */
async function shards(ports: readonly number[]): Promise<Shard[]> {
  for (const port of ports) {
    try {
      const slots = await askNode(port, async (node) => {
        if (!(await node.cluster('INFO')).includes('cluster_state:ok')) return undefined;
        return node.cluster('SLOTS');
      });
      if (!slots) continue;
      const byMaster = new Map<number, Shard>();
      for (const [start, end, ...nodes] of slots) {
        // The first node serving a range is its master, the rest its replicas.
        const [master, ...replicas] = nodes.map(([, port]) => port) as [number, ...number[]];
        const shard = byMaster.get(master) ?? { master, replicas, ranges: [] };
        shard.ranges.push([start, end]);
        byMaster.set(master, shard);
      }
      return [...byMaster.values()];
    } catch {
      // a frozen or killed node: ask the next
    }
  }
  throw new Error('no node sees the cluster ok');
}

const serves = (shard: Shard, slot: number) => shard.ranges.some(([start, end]) => slot >= start && slot <= end);

/** The process of the node listening on `port` (the node says: `INFO server`), to freeze and thaw it. */
async function pidOf(port: number): Promise<number> {
  const info = await askNode(port, (node) => node.info('server'));
  return Number(/process_id:(\d+)/.exec(info)?.[1]);
}

/** An app whose slow stream and exception set live on the same shard, so that the others can fail without them. */
function appOnOneSlotOwner(all: Shard[]): { app: string; home: Shard } {
  for (let i = 0; ; i++) {
    const app = `once-${i}`;
    const home = all.find((shard) => serves(shard, calculateSlot(slowKey(app))));
    if (home && serves(home, calculateSlot(errorsKey(app)))) return { app, home };
  }
}

/** Every `name{app="…",…} value` line of the app in a scrape, summed: unknown (absent) counts as 0 entries read. */
function sumOf(metrics: string, name: string, app: string): number {
  const prefix = `${name}{app="${app}",`;
  return metrics
    .split('\n')
    .filter((line) => line.startsWith(prefix))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

describe('Redis Cluster under faults: every entry in Redis is counted and streamed exactly once', () => {
  const suite = suiteCluster({ failover: true });

  it('a frozen master, a failover and a shard down: counters and SSE match what Redis holds, /readyz 503 meanwhile', {
    timeout: 240_000,
  }, async (t) => {
    const ports = suite.cluster.nodes.map((node) => node.port);
    let alive = [...ports];
    const initial = await shards(ports);
    assert.equal(initial.length, 3);
    const { app, home } = appOnOneSlotOwner(initial);
    const [frozen, killed] = initial.filter((shard) => shard !== home) as [Shard, Shard];
    // The server keeps the app followed (its heartbeat key has no TTL: it outlives the test).
    await suite.writer.set(heartbeatKey(app, 'web-1'), JSON.stringify(heartbeat(app, 'web-1')));

    const bridge = await startBridge({ redisUrl: suite.cluster.seeds }, INTERVAL);
    t.after(() => bridge.stop());
    const { monitor } = bridge.bridge;
    const healthy = async (what: string) => {
      await waitFor(
        async () => {
          const states = await Promise.all(alive.map((port) => askNode(port, (node) => node.cluster('INFO')).catch(() => '')));
          return states.every((info) => info.includes('cluster_state:ok')) || undefined;
        },
        30_000,
        `${what}: every live node says cluster_state:ok`,
      );
      await waitFor(async () => (await getJson(`${bridge.url}/readyz`)).status === 200 || undefined, 30_000, `${what}: the bridge ready`);
    };
    await waitFor(() => monitor.getAggregateMetrics().apps.some((a) => a.app === app) || undefined, 10_000, 'the app seen');
    // Its feeds are followed from the poll after the one that first saw it.
    const seenAt = monitor.ticks;
    await waitFor(() => monitor.ticks >= seenAt + 2 || undefined, 5_000, 'two more polls');
    const sse = await SseClient.connect(`${bridge.url}/api/pulse/stream?app=${app}`);
    t.after(() => sse.close());

    // The writer: one slow entry and one exception at a time, each retried (the same entry) until Redis takes it,
    // as an SDK whose write failed would; a retry that repeats a write that had landed is a repeat the protocol
    // drops (slow) or the same member (exceptions).
    const slowWritten: string[] = [];
    /** The written entries' span ids: an entry's own id, whatever timestamp the bridge sends it with (below). */
    const slowSpans: string[] = [];
    const errorsWritten: string[] = [];
    let writing = true;
    const until = async (write: () => Promise<unknown>) => {
      for (const deadline = Date.now() + 60_000; ; await sleep(100)) {
        try {
          return await write();
        } catch (err) {
          if (Date.now() > deadline) throw err;
        }
      }
    };
    const writes = (async () => {
      while (writing) {
        const entry: SlowEntry = slowEntry({ server_id: 'web-1' });
        await until(() => suite.writer.xadd(slowKey(app), '*', ...slowStreamFields(entry)));
        slowWritten.push(slowEntryIdentity(entry));
        slowSpans.push(entry.span_id as string);
        const error = errorEntry(app, { server_id: 'web-1' });
        await until(() => suite.writer.zadd(errorsKey(app), error.timestamp, JSON.stringify(error)));
        errorsWritten.push(error.id);
        await sleep(80);
      }
    })();

    const paused: number[] = [];
    const pause = async (port: number) => {
      const pid = await pidOf(port);
      process.kill(pid, 'SIGSTOP');
      paused.push(pid);
      alive = alive.filter((p) => p !== port);
    };
    const resumeAll = () => {
      for (const pid of paused.splice(0)) process.kill(pid, 'SIGCONT');
    };
    try {
      await sleep(1_000);
      // 1. A master that holds neither feed freezes for 6 s: the heartbeat scan times out on it, the feeds' shard
      // answers; its replica takes over.
      await pause(frozen.master);
      await sleep(FROZEN_MS);
      resumeAll();
      alive = [...ports];
      await healthy('after the frozen master');

      // 2. Another master is killed: its replica takes over (a failover).
      await suite.cluster.kill(killed.master);
      alive = alive.filter((port) => port !== killed.master);
      // Until the nodes notice (the node timeout) they still say cluster_state:ok with the dead master in place: wait
      // for its replica to serve its slots, or step 3 would take down a second master before the failover, and the
      // one master left could not elect anyone (the cluster would stay down past the writer's patience).
      await waitFor(
        async () =>
          (await shards(alive).catch(() => [])).some((s) => serves(s, killed.ranges[0]?.[0] as number) && s.master !== killed.master) ||
          undefined,
        30_000,
        'the killed master’s replica promoted',
      );
      await healthy('after the failover');

      // 3. A whole shard (its master and replica) goes down: every node says cluster_state:fail and refuses every
      // read and write, while still answering PING.
      const shard = await waitFor(
        async () => (await shards(alive)).find((s) => serves(s, frozen.ranges[0]?.[0] as number) && s.replicas.length === 1),
        10_000,
        'the frozen master back as its successor’s replica',
      );
      const downSince = Date.now();
      for (const port of [shard.master, ...shard.replicas]) await pause(port);
      const notReady = await waitFor(
        async () => {
          const res = await getJson(`${bridge.url}/readyz`);
          return res.status !== 200 ? res : undefined;
        },
        SHARD_DOWN_MS - 2_000,
        '/readyz not 200 while the cluster refuses reads',
      );
      assert.equal(notReady.status, 503);
      assert.equal(notReady.body.poll_ok, false, JSON.stringify(notReady.body));
      await sleep(Math.max(0, SHARD_DOWN_MS - (Date.now() - downSince)));
      assert.notEqual((await getJson(`${bridge.url}/readyz`)).status, 200, 'still not ready at the end of the outage');
      resumeAll();
      alive = ports.filter((port) => port !== killed.master);
      await healthy('after the shard came back');
      await sleep(2_000);
    } finally {
      resumeAll();
      writing = false;
      await writes;
    }

    // What Redis holds: every entry written, exactly (a retried XADD that had landed adds a repeat, same identity).
    const stream = (await suite.writer.xrange(slowKey(app), '-', '+')) as [string, string[]][];
    const inRedis = new Set(stream.map(([, fields]) => slowEntryIdentity((parseSlowStreamFields(fields) as { value: SlowEntry }).value)));
    assert.equal(inRedis.size, slowWritten.length);
    assert.equal(await suite.writer.zcard(errorsKey(app)), errorsWritten.length);
    assert.ok(slowWritten.length > 100, `entries written throughout: ${slowWritten.length}`);

    const counted = async () => {
      const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
      return { slow: sumOf(metrics, 'pulse_slow_entries_total', app), errors: sumOf(metrics, 'pulse_exceptions_total', app) };
    };
    const expected = { slow: slowWritten.length, errors: errorsWritten.length };
    await waitFor(
      async () => {
        const now = await counted();
        return (now.slow >= expected.slow && now.errors >= expected.errors) || undefined;
      },
      15_000,
      'the bridge to count every entry',
    ).catch(async (err) => {
      assert.deepEqual(await counted(), expected, String(err));
    });
    // A few more polls: nothing is counted twice.
    await sleep(5 * INTERVAL);
    assert.deepEqual(await counted(), expected, 'pulse_slow_entries_total and pulse_exceptions_total: each entry once');

    // By span id: an entry written after the poll that reads it began is stamped ahead of that poll's clock, and the
    // bridge sends it with the poll's time instead (its rule for timestamps, bridge/src/monitor/clock.ts).
    const streamedSlow = sse.of<PulseSlowEvent>(PULSE_EVENTS.slow).map((e) => e.entry.span_id);
    const streamedErrors = sse.of<PulseErrorEvent>(PULSE_EVENTS.error).map((e) => e.entry.id);
    assert.equal(streamedSlow.length, slowWritten.length, 'pulse_slow events');
    assert.deepEqual(new Set(streamedSlow), new Set(slowSpans), 'each slow entry sent once');
    assert.equal(streamedErrors.length, errorsWritten.length, 'pulse_error events');
    assert.deepEqual(new Set(streamedErrors), new Set(errorsWritten), 'each exception sent once');
    assert.ok(monitor.failedPolls > 0, 'polls did fail meanwhile');
    assert.equal(sse.ended, false, 'the stream stayed open throughout');
  });
});
