// Zenith agents' nodes read within bounds (issue 22): many valid nodes of 63 KB beside Pulse servers (the bridge
// as a child process with a bounded heap), junk keys that must not crowd out real agents, a read past its deadline
// (cancelled, never overlapped), a read that fails (the Pulse feeds go on), and Zenith's stream with large pulses.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { get, type IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type PulseNode, quasarNodeKey, type SystemPulseEvent } from '@gravito/pulse-protocol';
import { addUserToChange, asUserToChange, changeUserOf, removeUserOf, run, startRedis, type TestRedis } from '@gravito/pulse-testkit';
import type { Redis } from 'ioredis';
import type { BridgeInternals as Bridge } from '../src/assemble.js';
import { InvalidValues } from '../src/lib/invalid-values.js';
import { CHUNKS_IN_FLIGHT } from '../src/redis/bounded-get.js';
import { connectRedis, type RedisHandle } from '../src/redis/connection.js';
import { QuasarReader } from '../src/sources/quasar/reader.js';
import { commandCalls, getJson, SseClient, silentLogger, startBridge, waitFor, writeHeartbeat } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const AGENT: PulseNode = JSON.parse(readFileSync(new URL('../../protocol/vectors/pulse-node.json', import.meta.url), 'utf8')).cases[0]
  .value;
/** A valid node of ~62 KB: under the 64 KiB bound, as in the report. */
const bigNode = (service: string, id: string, pid = 1): string =>
  JSON.stringify({ ...AGENT, service, id, pid, meta: { pad: 'x'.repeat(63_000) }, timestamp: Date.now() });

/** Why the reader's agents are stale, if they are (read through a call: an assertion on `stale` does not narrow it). */
const staleError = (reader: QuasarReader): string | undefined => reader.stale?.error;

/** Deletes keys 5,000 at a time: what a suite wrote does not outlive it on a shared `REDIS_URL` server. */
async function deleteKeys(redis: Redis, keys: readonly string[]): Promise<void> {
  for (let start = 0; start < keys.length; start += 5_000) await redis.del(...keys.slice(start, start + 5_000));
}

/** The j-th big node's service and id, as the report had them: `gravito:quasar:node:big{j%50}:n{j}`. */
const bigNodeName = (j: number) => ({ service: `big${j % 50}`, id: `n${j}` });
const bigNodeKeys = (count: number) =>
  Array.from({ length: count }, (_, j) => {
    const { service, id } = bigNodeName(j);
    return quasarNodeKey(service, id);
  });

async function writeBigNodes(redis: Redis, count: number): Promise<void> {
  for (let start = 0; start < count; start += 100) {
    const pipeline = redis.pipeline();
    for (let j = start; j < Math.min(count, start + 100); j++) {
      const { service, id } = bigNodeName(j);
      pipeline.set(quasarNodeKey(service, id), bigNode(service, id, 10_000 + j), 'EX', 120);
    }
    await pipeline.exec();
  }
}

describe('2,000 valid Quasar nodes of 63 KB beside 200 Pulse servers, 20 s, bridge heap bounded to 128 MB', () => {
  /** The RSS this scenario stays under (bridge/README.md, "Gravito Zenith"; measured ~210 MB). */
  const RSS_BOUND_MB = 320;

  it('keeps the bridge up under its RSS bound, every poll completing with the Pulse servers, Quasar capped and counted', async () => {
    // The bench at a smaller scale: it runs the built bridge as a child process and reports what it sampled.
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/bridge-quasar-bounds.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        BENCH_NODES: '2000',
        BENCH_SERVERS: '200',
        BENCH_SECONDS: '20',
        BENCH_HEAP_MB: '128',
        BENCH_INTERVAL_MS: '1000',
      },
      timeoutMs: 180_000,
    });
    const line = /^RESULT (.*)$/m.exec(stdout);
    assert.ok(line, stdout);
    const result = JSON.parse(line[1] as string);
    const why = JSON.stringify(result);
    assert.equal(result.alive, true, `the bridge died: ${why}`);
    assert.ok(result.rssMaxMb < RSS_BOUND_MB, `RSS ${result.rssMaxMb} MB: ${why}`);
    // Every poll completed: none failed, none flagged on the feed, and the Pulse servers were all there in each.
    assert.equal(result.failedPolls, 0, why);
    assert.equal(result.pollNotOkSamples, 0, why);
    assert.equal(result.feedPollNotOk, 0, why);
    assert.equal(result.minPulseOnline, 200, why);
    assert.ok(result.feedPulses >= 10 && result.pollsSeen >= 5, why);
    // The Quasar reads were capped (counted), not failed, and Zenith's stream kept its client.
    assert.ok(result.quasarAgentsKept > 0 && result.quasarLeftOut > 0, why);
    assert.equal(result.quasarFailedReads, 0, why);
    assert.ok(result.zenithPulses >= 10, why);
    assert.equal(result.zenithSlowDropped, 0, why);
  });
});

describe('junk under gravito:quasar:node:*', () => {
  let redis: TestRedis;
  let client: Redis;
  let bridge: Awaited<ReturnType<typeof startBridge>>;
  const JUNK = 50_000;
  const AGENTS = 20;

  before(async () => {
    redis = await startRedis();
    client = redis.client();
    const junk = ['not json', '{"id":"x"}', '[1,2,3]', '{"service":"junk"', '42'];
    for (let start = 0; start < JUNK; start += 5_000) {
      const pipeline = client.pipeline();
      for (let i = start; i < start + 5_000; i++) pipeline.set(`gravito:quasar:node:junk:${i}`, junk[i % junk.length] as string, 'EX', 120);
      await pipeline.exec();
    }
    const pipeline = client.pipeline();
    for (let i = 0; i < AGENTS; i++) {
      pipeline.set(
        quasarNodeKey('fleet', `agent-${i}`),
        JSON.stringify({ ...AGENT, service: 'fleet', id: `agent-${i}`, timestamp: Date.now() }),
        'EX',
        120,
      );
    }
    await pipeline.exec();
    bridge = await startBridge({ redisUrl: redis.url }, 200);
  });
  after(async () => {
    await bridge?.stop();
    const junk = Array.from({ length: JUNK }, (_, i) => `gravito:quasar:node:junk:${i}`);
    await deleteKeys(client, [...junk, ...Array.from({ length: AGENTS }, (_, i) => quasarNodeKey('fleet', `agent-${i}`))]);
    await redis?.stop();
  });

  it('never takes the place of a real agent: 50,000 junk keys, all 20 agents shown, each junk key counted once', async () => {
    const fleet = await waitFor(
      async () => {
        const { body } = await getJson(`${bridge.url}/api/pulse/servers?app=fleet`);
        const servers = (body as SystemPulseEvent).apps[0]?.servers ?? [];
        return servers.length === AGENTS ? servers : undefined;
      },
      20_000,
      'the 20 agents',
    );
    assert.ok(fleet.every((s) => s.status === 'online'));
    // At least the junk (a shared REDIS_URL server may hold other invalid values), each once: not again later.
    const invalid = bridge.bridge.monitor.invalid.counts.heartbeat;
    assert.ok(invalid >= JUNK, `${invalid} invalid values counted`);
    const ticks = bridge.bridge.monitor.ticks;
    await waitFor(() => bridge.bridge.monitor.ticks >= ticks + 3, 20_000, 'three more polls');
    assert.equal(bridge.bridge.monitor.invalid.counts.heartbeat, invalid, 'not counted again at later polls');
    assert.equal((bridge.bridge.quasar.reader as QuasarReader).counts.leftOut, 0, 'no cap was reached');
  });
});

describe('a Quasar read past its deadline', () => {
  let redis: TestRedis;
  let admin: Redis;
  let handle: RedisHandle;
  const invalid = new InvalidValues(silentLogger);
  const NODES = 1_000;

  before(async () => {
    redis = await startRedis({ faults: true });
    admin = redis.client();
    await writeBigNodes(admin, NODES);
    handle = connectRedis(redis.url, { timeoutMs: 10_000, onError: () => {} });
    await waitFor(() => handle.ready(), 5_000, 'the connection');
  });
  after(async () => {
    await handle?.close();
    await redis?.stop();
  });

  it('is cancelled: the poll settles at its deadline with the last state, marked stale, and no further chunk is sent', async () => {
    // No byte cap: a whole read of the 1,000 nodes (62 MB) takes far longer than the deadline.
    const reader = new QuasarReader({ limits: { maxBytes: 2 ** 30 } });
    const first = await reader.poll(handle, invalid, Date.now(), 60_000);
    assert.equal(first.size, NODES);
    assert.equal(staleError(reader), undefined);
    await writeBigNodes(admin, NODES); // every value changed: the next read must fetch and parse them all
    const before = await commandCalls(admin, 'evalsha');
    const second = await reader.poll(handle, invalid, Date.now(), 50);
    assert.equal(second, first, "the last read's agents");
    assert.match(staleError(reader) ?? '', /Quasar node read took longer than 50 ms/);
    assert.equal(reader.counts.failedReads, 1);
    // Once the chunks in flight at the deadline are in, nothing more is sent: at most one script call each.
    const atDeadline = await commandCalls(admin, 'evalsha');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const after = await commandCalls(admin, 'evalsha');
    assert.ok(after - atDeadline <= CHUNKS_IN_FLIGHT, `${after - atDeadline} script calls after the deadline`);
    assert.ok(after - before < NODES / 4, `${after - before} script calls in all: the read did not run on`);
    // The next poll reads in full again, and the agents are current.
    const third = await reader.poll(handle, invalid, Date.now(), 60_000);
    assert.equal(third.size, NODES);
    assert.equal(staleError(reader), undefined);
  });

  it('is never overlapped: a poll that finds the last read still running starts none, and keeps the last state', async () => {
    const reader = new QuasarReader();
    const first = await reader.poll(handle, invalid, Date.now(), 60_000);
    const scansBefore = await commandCalls(admin, 'scan');
    // A frozen Redis: the read's SCAN waits for an answer past the deadline, and is still waiting at the next poll.
    await redis.pause();
    try {
      assert.equal(await reader.poll(handle, invalid, Date.now(), 100), first);
      assert.equal(await reader.poll(handle, invalid, Date.now(), 100), first);
      assert.match(staleError(reader) ?? '', /took longer than 100 ms/, 'stale since the first failure');
      assert.equal(reader.counts.failedReads, 2);
    } finally {
      await redis.resume();
    }
    assert.equal((await commandCalls(admin, 'scan')) - scansBefore, 1, 'one SCAN: the second poll started no read');
    // Once that read has wound down, the next poll reads again.
    const fresh = await waitFor(
      async () => {
        const found = await reader.poll(handle, invalid, Date.now(), 60_000);
        return staleError(reader) === undefined ? found : undefined;
      },
      15_000,
      'a read that succeeds',
    );
    assert.equal(fresh.size, first.size);
  });
});

describe('a Quasar read that fails', () => {
  let redis: TestRedis;
  let admin: Redis;
  let bridge: Awaited<ReturnType<typeof startBridge>>;
  /** The URL of the bridge's user, whose keys the test narrows. */
  let userUrl: string;

  before(async () => {
    redis = await startRedis();
    admin = redis.client();
    userUrl = asUserToChange(redis.url);
    await addUserToChange(admin);
    bridge = await startBridge({ redisUrl: userUrl }, 200);
  });
  after(async () => {
    await bridge?.stop();
    if (userUrl !== undefined) await removeUserOf(admin, userUrl);
    await admin?.del(quasarNodeKey('agents', 'a-1'));
    await redis?.stop();
  });

  it("never holds the Pulse feeds: polls complete with the agents' last state, marked stale, until reads succeed again", async () => {
    await writeHeartbeat(admin, 'shop', 'web-1');
    await admin.set(
      quasarNodeKey('agents', 'a-1'),
      JSON.stringify({ ...AGENT, service: 'agents', id: 'a-1', timestamp: Date.now() }),
      'EX',
      60,
    );
    const servers = (event: SystemPulseEvent) => event.apps.flatMap((a) => a.servers.map((s) => `${a.app}/${s.id}`)).sort();
    const sse = await SseClient.connect(`${bridge.url}/api/pulse/stream`);
    try {
      await sse.waitFor<SystemPulseEvent>(
        'system_pulse',
        (e) => servers(e).includes('agents/a-1') && servers(e).includes('shop/web-1'),
        5_000,
      );
      // The bridge may read pulse:* keys only: every Quasar read now fails (NOPERM), the heartbeat reads do not.
      await changeUserOf(admin, userUrl, 'resetkeys', '~pulse:*');
      const from = sse.events.length;
      await writeHeartbeat(admin, 'shop', 'web-2');
      const event = await sse.waitFor<SystemPulseEvent>('system_pulse', (e) => servers(e).includes('shop/web-2'), 5_000, from);
      assert.deepEqual(servers(event), ['agents/a-1', 'shop/web-1', 'shop/web-2'], "the new server, and the agent's last state");
      for (const e of sse.of<SystemPulseEvent>('system_pulse').slice(from)) assert.notEqual(e.poll_ok, false, 'no poll failed');
      assert.equal(bridge.bridge.monitor.failedPolls, 0);
      const reader = bridge.bridge.quasar.reader as QuasarReader;
      assert.match(staleError(reader) ?? '', /NOPERM/, 'the agents are marked stale');
      const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
      assert.match(metrics, /^pulse_bridge_quasar_dropped_total\{kind="read"\} [1-9]/m);
      // Allowed again: the next read succeeds, and the agents are current.
      await changeUserOf(admin, userUrl, 'resetkeys', '~*');
      await waitFor(() => staleError(reader) === undefined, 5_000, 'a Quasar read that succeeds');
    } finally {
      await sse.close();
    }
  });
});

describe("Zenith's stream with pulses of many megabytes", () => {
  let redis: TestRedis;
  let client: Redis;
  let bridge: Bridge;
  let stopBridge: () => Promise<void>;
  let url: string;
  const NODES = 250; // ~15.5 MB a pulse

  before(async () => {
    redis = await startRedis();
    client = redis.client();
    await writeBigNodes(client, NODES);
    ({ bridge, url, stop: stopBridge } = await startBridge({ redisUrl: redis.url }, 500));
    await waitFor(() => bridge.monitor.agents.counts.nodes >= NODES, 20_000, 'the nodes read');
  });
  after(async () => {
    await stopBridge?.();
    await deleteKeys(client, bigNodeKeys(NODES));
    await redis?.stop();
  });

  /** A client of /api/logs/stream that reads its first bytes, then stops reading for `pauseMs`, then reads on. */
  function pausingClient(pauseMs: number): Promise<{ res: IncomingMessage; events: () => number }> {
    return new Promise((resolve, reject) => {
      get(`${url}/api/logs/stream`, (res) => {
        let text = '';
        let events = 0;
        res.setEncoding('latin1');
        res.on('data', (chunk: string) => {
          text = text.slice(-32) + chunk;
          events += text.split('\nevent: pulse\n').length - 1;
        });
        res.once('data', () => {
          res.pause();
          if (Number.isFinite(pauseMs)) setTimeout(() => res.resume(), pauseMs);
        });
        resolve({ res, events: () => events });
      }).on('error', reject);
    });
  }

  it('keeps a client that falls a pulse behind, and cuts one that stops reading, at three pulses', async () => {
    const stream = bridge.quasar.routes.stream;
    const dropped = stream.counts.slowClientsDropped;
    const behind = await pausingClient(700);
    const stopped = await pausingClient(Number.POSITIVE_INFINITY);
    try {
      // A pulse behind: more than PULSE_SSE_MAX_BUFFER_BYTES (1 MiB) unsent, well under three pulses.
      await waitFor(() => stream.counts.slowClientsDropped > dropped, 20_000, 'the client that stopped reading cut');
      assert.equal(stream.counts.slowClientsDropped, dropped + 1, 'only the one that stopped reading');
      await waitFor(() => behind.events() >= 4, 20_000, 'the client a pulse behind, reading on');
      assert.equal(behind.res.destroyed, false);
    } finally {
      behind.res.destroy();
      stopped.res.destroy();
    }
  });
});
