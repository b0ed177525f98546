// /metrics at its caps (issue 22): 4,000 Zenith agents, one service each, with 100 queues of 200-character names,
// on a real Redis and a real bridge over HTTP; then the per-server caps and a family whose render fails.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { PULSE_EVENTS, type PulseNode, type PulseStatusEvent, quasarNodeKey } from '@gravito/pulse-protocol';
import { run, startRedis, type TestRedis } from '@gravito/pulse-testkit';
import type { Redis } from 'ioredis';
import { MAX_QUEUES_PER_APP } from '../src/monitor/caps.js';
import type { MonitorService } from '../src/monitor/monitor-service.js';
import { BridgeMetrics } from '../src/outputs/metrics/bridge-metrics.js';
import { PULSE_METRICS } from '../src/outputs/metrics/names.js';
import { DEFAULT_QUEUE_LIMITS } from '../src/outputs/metrics/queue-families.js';
import { SnapshotFamilies } from '../src/outputs/metrics/snapshot-families.js';
import { SseBroadcaster } from '../src/outputs/sse/broadcaster.js';
import { manualMonitor, SseClient, silentLogger, startLoggedBridge, waitFor, writeHeartbeat } from './helpers.js';

const AGENTS = 4_000;
const QUEUES_PER_AGENT = 100;

const agentVector: PulseNode = JSON.parse(
  readFileSync(new URL('../../protocol/vectors/pulse-node.json', import.meta.url), 'utf8'),
).cases.find((c: { why: string }) => /Node agent watching queues/.test(c.why)).value;

/** 200 characters, told apart by their end. */
const queueName = (i: number) => `${'q'.repeat(194)}-${String(i).padStart(5, '0')}`;

function agent(service: string, id: string, queues: number): PulseNode {
  return {
    ...structuredClone(agentVector),
    service,
    id,
    timestamp: Date.now(),
    queues: Array.from({ length: queues }, (_, i) => ({
      name: queueName(i),
      driver: 'redis' as const,
      size: { waiting: i, active: 1, failed: 0, delayed: 2 },
      throughput: { in: 60, out: 30 },
    })),
  };
}

async function writeAgents(client: Redis, nodes: readonly PulseNode[]): Promise<void> {
  for (let start = 0; start < nodes.length; start += 250) {
    const pipeline = client.pipeline();
    for (const node of nodes.slice(start, start + 250)) pipeline.set(quasarNodeKey(node.service, node.id), JSON.stringify(node), 'EX', 600);
    await pipeline.exec();
  }
}

/** The value of one series, exactly as written (`name{labels}`); NaN when absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
}

/** A labelled counter's value: 0 while it has no series (a cap never reached). */
function counted(text: string, series: string): number {
  const value = sample(text, series);
  return Number.isNaN(value) ? 0 : value;
}

/** Waits until the reader keeps the same number of agents (more than none) two polls in a row. */
async function agentsSettled(bridge: Awaited<ReturnType<typeof startLoggedBridge>>): Promise<void> {
  let last = -1;
  await waitFor(
    async () => {
      const ticks = bridge.bridge.monitor.ticks;
      await waitFor(() => bridge.bridge.monitor.ticks > ticks || undefined, 10_000, 'a new poll');
      const now = bridge.bridge.monitor.agents.counts.nodes;
      const settled = now > 0 && now === last;
      last = now;
      return settled || undefined;
    },
    60_000,
    'the agents read',
  );
}

/** `count` scrapes of /metrics, each after a new poll (so each renders a new snapshot, as at Prometheus's pace). */
async function scrapesAfterPolls(
  bridge: Awaited<ReturnType<typeof startLoggedBridge>>,
  count: number,
): Promise<{ status: number; text: string }[]> {
  const scrapes: { status: number; text: string }[] = [];
  for (let i = 0; i < count; i++) {
    const ticks = bridge.bridge.monitor.ticks;
    await waitFor(() => bridge.bridge.monitor.ticks > ticks || undefined, 10_000, 'a new poll');
    const res = await fetch(`${bridge.url}/metrics`);
    scrapes.push({ status: res.status, text: await res.text() });
  }
  return scrapes;
}

describe('/metrics at the caps: 4,000 agents with 100 queues of 200-character names', () => {
  let redis: TestRedis;
  let bridge: Awaited<ReturnType<typeof startLoggedBridge>>;
  before(async () => {
    redis = await startRedis();
    // Pipelined: 120 MB of nodes in a few seconds. One service each: 4,000 apps.
    await writeAgents(
      redis.client(),
      Array.from({ length: AGENTS }, (_, i) => agent(`svc-${String(i).padStart(4, '0')}`, `w-${i}`, QUEUES_PER_AGENT)),
    );
    // The defaults the issue was reported with: a 1 s poll, 1 s command timeout (a socket silent for 2 s is dropped).
    bridge = await startLoggedBridge({ redisUrl: redis.url, redisTimeoutMs: 1_000, lostAfterMs: 600_000 }, 1_000);
  });
  after(async () => {
    await bridge?.stop();
    await redis?.stop();
  });

  it('answers every scrape 200 within the caps, counts what they leave out once, and Redis stays up', async () => {
    // The reader has caps of its own (nodes, bytes): as many agents as it keeps are on /metrics.
    await agentsSettled(bridge);
    const sse = await SseClient.connect(`${bridge.url}/api/pulse/stream`);
    const scrapes = await scrapesAfterPolls(bridge, 4);
    await sse.close();

    assert.deepEqual(
      scrapes.map((s) => s.status),
      [200, 200, 200, 200],
    );
    const first = scrapes[0]?.text ?? '';
    for (const { text } of scrapes) {
      const agents = sample(text, 'pulse_bridge_quasar_nodes{writer="agent"}');
      assert.equal((text.match(/^pulse_server_up\{/gm) ?? []).length, agents);
      // One app per agent, in name order: the first 1,000 with queues are admitted, the rest left out.
      const admitted = Math.min(agents, DEFAULT_QUEUE_LIMITS.apps);
      assert.equal(counted(text, 'pulse_bridge_cap_reached_total{cap="queue_apps"}'), agents - admitted);
      const exported = [...text.matchAll(/^pulse_queue_jobs\{app="([^"]+)",queue="([^"]+)",driver="([^"]+)",state="waiting"\}/gm)];
      assert.ok(exported.length > 0 && exported.length <= DEFAULT_QUEUE_LIMITS.queues, `${exported.length} queues exported`);
      const labelBytes = exported.reduce((n, [, app, queue, driver]) => n + `${app}${queue}${driver}`.length, 0);
      assert.ok(labelBytes <= DEFAULT_QUEUE_LIMITS.labelBytes, `${labelBytes} bytes of queue labels`);
      // What the admitted apps report past the bounds is left out, and counted once, not at every render.
      assert.equal(counted(text, 'pulse_bridge_cap_reached_total{cap="queues"}'), admitted * QUEUES_PER_AGENT - exported.length);
      for (const cap of ['queue_apps', 'queues']) {
        const series = `pulse_bridge_cap_reached_total{cap="${cap}"}`;
        assert.equal(counted(text, series), counted(first, series), series);
      }
      // Every agent is a server on /metrics: the server caps are far off (a cap never reached has no series).
      assert.doesNotMatch(text, /cap="metrics_servers"/);
    }
    // Every poll read Redis, and no status said otherwise: no scrape held the loop past the socket timeout.
    assert.equal(bridge.logs.filter((l) => l.msg === 'redis unreachable').length, 0);
    assert.deepEqual(
      sse.of<PulseStatusEvent>(PULSE_EVENTS.status).filter((s) => !s.redis_up),
      [],
    );
    await run('promtool', ['check', 'metrics'], { input: scrapes[3]?.text });
  });
});

/** A Redis and a bridge polling it every 200 ms, the enclosing describe's own: returns them once its `before` ran. */
function freshBridge(): () => { redis: TestRedis; bridge: Awaited<ReturnType<typeof startLoggedBridge>> } {
  let redis: TestRedis | undefined;
  let bridge: Awaited<ReturnType<typeof startLoggedBridge>> | undefined;
  before(async () => {
    redis = await startRedis();
    bridge = await startLoggedBridge({ redisUrl: redis.url }, 200);
  });
  after(async () => {
    await bridge?.stop();
    await redis?.stop();
  });
  return () => {
    assert.ok(redis && bridge, 'started in before()');
    return { redis, bridge };
  };
}

describe('apps and queues past the caps in count', () => {
  const started = freshBridge();

  it('counts apps past the app cap and queues past the queue cap, once', async () => {
    const { redis, bridge } = started();
    // 1,100 apps with short queue names (far from the byte cap): the first 60 watch 100 queues, the others 1.
    const APPS = DEFAULT_QUEUE_LIMITS.apps + 100;
    const nodes = Array.from({ length: APPS }, (_, i) => {
      const node = agent(`app-${String(i).padStart(4, '0')}`, 'w-1', i < 60 ? 100 : 1);
      for (const [q, queue] of (node.queues ?? []).entries()) queue.name = `q-${q}`;
      return node;
    });
    await writeAgents(redis.client(), nodes);
    await waitFor(() => bridge.bridge.monitor.agents.counts.nodes === APPS || undefined, 10_000, 'every agent read');
    for (const { status, text } of await scrapesAfterPolls(bridge, 3)) {
      assert.equal(status, 200);
      assert.equal(sample(text, 'pulse_bridge_cap_reached_total{cap="queue_apps"}'), 100);
      assert.equal((text.match(/^pulse_queue_jobs\{.*state="waiting"\}/gm) ?? []).length, DEFAULT_QUEUE_LIMITS.queues);
      // 6,000 queues of the first 60 apps, 5,000 of them exported; the 940 other admitted apps' one queue each.
      assert.equal(sample(text, 'pulse_bridge_cap_reached_total{cap="queues"}'), 6_000 - DEFAULT_QUEUE_LIMITS.queues + 940);
    }
  });
});

describe('queues past the per-app cap', () => {
  const started = freshBridge();

  it('are counted once in pulse_bridge_quasar_dropped_total, not again at every render', async () => {
    const { redis, bridge } = started();
    // Two processes of one app watching 150 queues between them, 50 of them past the cap.
    const a = agent('wide', 'w-1', 120);
    const b = agent('wide', 'w-2', 150);
    await writeAgents(redis.client(), [a, b]);
    await waitFor(() => bridge.bridge.monitor.agents.counts.nodes === 2 || undefined, 5_000, 'both agents read');
    const scrapes = await scrapesAfterPolls(bridge, 4);
    for (const { text } of scrapes) {
      assert.equal(sample(text, 'pulse_bridge_quasar_dropped_total{kind="queue"}'), 150 - MAX_QUEUES_PER_APP);
      assert.equal((text.match(/^pulse_queue_jobs\{app="wide",.*,state="waiting"\}/gm) ?? []).length, MAX_QUEUES_PER_APP);
    }
    // A new queue past the cap is a new drop.
    await writeAgents(redis.client(), [agent('wide', 'w-2', 151)]);
    const [later] = await waitFor(
      async () => {
        const [next] = await scrapesAfterPolls(bridge, 1);
        return sample(next?.text ?? '', 'pulse_bridge_quasar_dropped_total{kind="queue"}') !== 150 - MAX_QUEUES_PER_APP
          ? [next]
          : undefined;
      },
      5_000,
      'the new queue dropped',
    );
    assert.equal(sample(later?.text ?? '', 'pulse_bridge_quasar_dropped_total{kind="queue"}'), 151 - MAX_QUEUES_PER_APP);
  });
});

describe('the per-server families stop at their caps; a family whose render fails is left out', () => {
  const APP = 'cap-servers';
  const SERVERS = 30;
  let redis: TestRedis;
  let client: Redis;
  let monitor: MonitorService;
  let closeMonitor: (() => Promise<void>) | undefined;
  before(async () => {
    redis = await startRedis();
    client = redis.client();
    for (let i = 0; i < SERVERS; i++) await writeHeartbeat(client, APP, `web-${String(i).padStart(2, '0')}`);
    ({ monitor, close: closeMonitor } = await manualMonitor(redis.url));
    await monitor.tick();
  });
  after(async () => {
    await closeMonitor?.();
    await redis?.stop();
  });

  const serverUps = (pieces: Buffer[]) =>
    (
      Buffer.concat(pieces)
        .toString()
        .match(/^pulse_server_up\{/gm) ?? []
    ).length;

  it('stops at the server count, and counts each server left out once, not at every render', async () => {
    const families = new SnapshotFamilies({ servers: 10, bytes: 64 * 1024 * 1024 });
    for (let render = 0; render < 3; render++) assert.equal(serverUps(await families.render(monitor.lastSnapshot(), monitor.caps)), 10);
    assert.equal(monitor.caps.counts.metrics_servers, SERVERS - 10);
  });

  it('stops at the byte bound, one server over at most', async () => {
    const whole = Buffer.concat(await new SnapshotFamilies().render(monitor.lastSnapshot(), monitor.caps)).length;
    const before = monitor.caps.counts.metrics_servers;
    const pieces = await new SnapshotFamilies({ servers: 1_000, bytes: Math.floor((whole * 5) / SERVERS) }).render(
      monitor.lastSnapshot(),
      monitor.caps,
    );
    const exported = serverUps(pieces);
    assert.ok(exported >= 4 && exported <= 6, `${exported} servers exported`);
    assert.equal(monitor.caps.counts.metrics_servers - before, SERVERS - exported);
  });

  it('serves the rest of the scrape when one part fails to render, and counts it once per render', async () => {
    const sse = new SseBroadcaster({ maxClients: 1, maxBufferBytes: 1 << 20 }, silentLogger, monitor.lastSnapshot());
    const logs: Array<Record<string, unknown>> = [];
    const log = silentLogger.child({});
    log.level = 'error';
    const failing = {
      families: [PULSE_METRICS.queueJobs, PULSE_METRICS.queueThroughput],
      render: async () => {
        throw new RangeError('Invalid string length');
      },
    };
    const metrics = new BridgeMetrics(monitor, sse, {
      maxRoutesPerApp: 10,
      extension: { register: () => {}, renderers: [failing] },
      log: Object.assign(log, { error: (obj: Record<string, unknown>, msg: string) => void logs.push({ ...obj, msg }) }),
    });
    for (let scrape = 0; scrape < 2; scrape++) {
      const text = Buffer.concat((await metrics.scrape(false)).body).toString();
      assert.equal((text.match(/^pulse_server_up\{/gm) ?? []).length, SERVERS);
      assert.doesNotMatch(text, /^# TYPE pulse_queue_jobs /m);
      // The same snapshot is rendered once: its failure is counted once.
      assert.equal(sample(text, 'pulse_bridge_metrics_render_failures_total{family="pulse_queue_jobs"}'), 1);
      assert.equal(sample(text, 'pulse_bridge_metrics_render_failures_total{family="pulse_queue_throughput_jobs_per_second"}'), 1);
    }
    assert.equal(logs.length, 1);
    assert.match(String(logs[0]?.err), /Invalid string length/);
  });
});
