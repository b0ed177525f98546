import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before } from 'node:test';
import {
  type AppSnapshot,
  type AppSummary,
  type ErrorEntry,
  heartbeatKey,
  PULSE_EVENTS,
  PulseErrorEvent,
  type PulseHeartbeat,
  PulseSlowEvent,
  PulseStatusEvent,
  type SlowEntry,
  SystemPulseDeltaEvent,
  SystemPulseEvent,
} from '@gravito/pulse-protocol';
import {
  eventually,
  launchChromium,
  startRedis,
  startRedisCluster,
  type TestBrowser,
  type TestRedis,
  type TestRedisCluster,
} from '@gravito/pulse-testkit';
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Cluster, type Redis } from 'ioredis';
import { pino } from 'pino';
import { type AssembleOptions, assembleBridge, type BridgeInternals } from '../src/assemble.js';
import type { BridgeConfig } from '../src/index.js';
import { MonitorService } from '../src/monitor/monitor-service.js';
import { BridgeMetrics, type MetricsOptions } from '../src/outputs/metrics/bridge-metrics.js';
import { SseBroadcaster } from '../src/outputs/sse/broadcaster.js';
import { connectRedis } from '../src/redis/connection.js';
import { nodeAddress } from '../src/redis/node-address.js';

const vectors = (name: string) => JSON.parse(readFileSync(new URL(`../../protocol/vectors/${name}.json`, import.meta.url), 'utf8')).cases;

/** The protocol's "every optional field" heartbeat vector, for another runtime's SDK writing raw JSON. */
export const FULL_HEARTBEAT: PulseHeartbeat = vectors('heartbeat')[1].value;
export const SLOW_VECTOR: SlowEntry = vectors('slow-entry')[0].value;
export const ERROR_VECTOR: ErrorEntry = vectors('error-entry')[0].value;

export function heartbeat(app: string, id: string, patch: (hb: PulseHeartbeat) => void = () => {}): PulseHeartbeat {
  const hb: PulseHeartbeat = structuredClone(FULL_HEARTBEAT);
  hb.timestamp = Date.now();
  hb.meta.app_name = app;
  hb.meta.instance_id = id;
  patch(hb);
  return hb;
}

/** Writes a heartbeat the way any GPP SDK does: `SET pulse:server:{app}:{id} <json> EX 30`. */
export async function writeHeartbeat(redis: Redis, app: string, id: string, patch?: (hb: PulseHeartbeat) => void): Promise<PulseHeartbeat> {
  const hb = heartbeat(app, id, patch);
  await redis.set(heartbeatKey(app, id), JSON.stringify(hb), 'EX', 30);
  return hb;
}

let errorSeq = 0;
export function errorEntry(app: string, patch: Partial<ErrorEntry> = {}): ErrorEntry {
  errorSeq++;
  return {
    ...ERROR_VECTOR,
    id: `err${String(errorSeq).padStart(6, '0')}${app.replace(/[^A-Za-z0-9]/g, '').slice(0, 20)}`,
    timestamp: Date.now(),
    ...patch,
  };
}

/** A slow entry of its own span (as a writer's entries are: a repeated span id is a writer's retry). */
export function slowEntry(patch: Partial<SlowEntry> = {}): SlowEntry {
  return { ...SLOW_VECTOR, timestamp: Date.now(), span_id: randomBytes(8).toString('hex'), ...patch };
}

export const silentLogger = pino({ level: 'silent' });

export async function startBridge(
  config: Partial<BridgeConfig>,
  intervalMs = 200,
  options: Omit<AssembleOptions, 'unsafeIntervalMs'> = {},
): Promise<{ bridge: BridgeInternals; url: string; stop: () => Promise<void> }> {
  const bridge = assembleBridge(
    { host: '127.0.0.1', port: 0, logLevel: 'silent', redisTimeoutMs: 500, ...config },
    { logger: silentLogger, ...options, unsafeIntervalMs: intervalMs },
  );
  const { url } = await bridge.start();
  return { bridge, url, stop: () => bridge.stop(2_000) };
}

/** A bridge polling every 200 ms that has already seen `app`, whose one server ("web-1") this writes first. */
export async function startBridgeSeeing(redis: TestRedis, app: string, config: Partial<BridgeConfig> = {}): ReturnType<typeof startBridge> {
  await writeHeartbeat(redis.client(), app, 'web-1');
  const bridge = await startBridge({ ...config, redisUrl: redis.url }, 200);
  try {
    await waitFor(() => bridge.bridge.monitor.getAggregateMetrics().apps.some((a) => a.app === app) || undefined, 3_000, `${app} seen`);
  } catch (err) {
    await bridge.stop();
    throw err;
  }
  return bridge;
}

/** A bridge whose log lines (info and up) are kept, parsed: to check that each bad input is logged once. */
export async function startLoggedBridge(
  config: Partial<BridgeConfig>,
  intervalMs = 200,
): Promise<Awaited<ReturnType<typeof startBridge>> & { logs: Array<Record<string, unknown>> }> {
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  return { ...(await startBridge(config, intervalMs, { logger })), logs };
}

export interface SuiteRedisAndBridge {
  redis: TestRedis;
  client: Redis;
  bridge: Awaited<ReturnType<typeof startBridge>>;
}

/**
 * A suite's own Redis (with a client, closed with it) and bridge, started before its tests and stopped after
 * them. Read the fields inside tests (they are set once `before` has run).
 */
export function suiteRedisAndBridge(intervalMs = 200, config: Partial<BridgeConfig> = {}): SuiteRedisAndBridge {
  const suite = suiteRedis() as SuiteRedisAndBridge;
  before(async () => {
    suite.bridge = await startBridge({ ...config, redisUrl: suite.redis.url }, intervalMs);
  });
  after(async () => {
    await suite.bridge?.stop();
  });
  return suite;
}

/**
 * A suite's own Redis Cluster of 3 masters and a writer of it, started before its tests and stopped after them (read
 * them inside tests). `failover`: a replica for each master and a 1 s node timeout, so that a replica takes over in
 * about 2 s rather than Redis's default 15 s, and a writer whose commands give up after 1 s.
 */
export function suiteCluster({ failover = false } = {}): { cluster: TestRedisCluster; writer: Cluster } {
  const suite = {} as { cluster: TestRedisCluster; writer: Cluster };
  before(async () => {
    suite.cluster = await startRedisCluster(failover ? { masters: 3, replicas: 1, nodeTimeoutMs: 1_000 } : {});
    suite.writer = new Cluster([...suite.cluster.nodes], failover ? { redisOptions: { commandTimeout: 1_000 } } : {});
    suite.writer.on('error', () => {});
  });
  after(async () => {
    suite.writer?.disconnect();
    await suite.cluster?.stop();
  });
  return suite;
}

/**
 * A suite's own Redis and a client of it, started before its tests and stopped after them (read them inside tests).
 * `private`: a redis-server of its own even where `REDIS_URL` names one, for tests that change the server's settings.
 */
export function suiteRedis({ private: own = false } = {}): { redis: TestRedis; client: Redis } {
  const suite = {} as { redis: TestRedis; client: Redis };
  before(async () => {
    suite.redis = await startRedis({ faults: own });
    suite.client = suite.redis.client();
  });
  after(async () => {
    await suite.redis?.stop();
  });
  return suite;
}

/** `suiteRedisAndBridge` and a Chromium of the suite's own, for tests of the page. */
export function suitePage(intervalMs = 250, config: Partial<BridgeConfig> = {}): SuiteRedisAndBridge & { browser: TestBrowser } {
  const suite = suiteRedisAndBridge(intervalMs, config) as SuiteRedisAndBridge & { browser: TestBrowser };
  before(async () => {
    suite.browser = await launchChromium();
  });
  after(async () => {
    await suite.browser?.close();
  });
  return suite;
}

/**
 * A monitor that polls only when a test calls `monitor.tick()`, on a connection of its own that is ready: for tests
 * that drive time themselves. `close()` stops both.
 */
export async function manualMonitor(
  redisUrl: string,
): Promise<{ handle: ReturnType<typeof connectRedis>; monitor: MonitorService; close(): Promise<void> }> {
  const handle = connectRedis(redisUrl, { timeoutMs: 500 });
  const monitor = new MonitorService(
    handle,
    { intervalMs: 1_000, lostAfterMs: 15_000, forgetAfterMs: 600_000, tickTimeoutMs: 1_000 },
    silentLogger,
  );
  await waitFor(() => handle.ready() || undefined, 3_000, 'redis ready');
  return {
    handle,
    monitor,
    close: async () => {
      await monitor.stop();
      await handle.close();
    },
  };
}

/** `/metrics` of `monitor` without HTTP: `scrape()` renders the text format; `close()` closes its SSE side. */
export function manualMetrics(monitor: MonitorService, options: MetricsOptions): { scrape(): Promise<string>; close(): void } {
  const sse = new SseBroadcaster({ maxClients: 1, maxBufferBytes: 1 << 20 }, silentLogger, monitor.lastSnapshot());
  const metrics = new BridgeMetrics(monitor, sse, options);
  return { scrape: async () => Buffer.concat((await metrics.scrape(false)).body).toString(), close: () => sse.close() };
}

/** Probes every 25 ms until `probe` gives a value (the testkit's `eventually`, in the argument order these tests use). */
export function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  return eventually(what, async () => probe(), timeoutMs, { everyMs: 25 });
}

export interface SseEvent {
  event: string;
  id: string | undefined;
  data: string;
  at: number;
}

/** A real SSE client over fetch streaming: collects parsed events and comments. */
export class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  retry: number | undefined;
  status = 0;
  headers: Headers | undefined;
  ended = false;
  private readonly abort = new AbortController();
  private done: Promise<void> = Promise.resolve();

  static async connect(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = new SseClient();
    const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: client.abort.signal });
    client.status = res.status;
    client.headers = res.headers;
    if (res.status !== 200 || !res.body) {
      await res.body?.cancel();
      client.ended = true;
      return client;
    }
    client.done = client.read(res.body);
    return client;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    let buffer = '';
    try {
      for await (const chunk of body.pipeThrough(new TextDecoderStream())) {
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          this.parse(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // aborted or reset
    }
    this.ended = true;
  }

  private parse(block: string): void {
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
      else if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('id: ')) id = line.slice(4);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
      else if (line.startsWith('retry: ')) this.retry = Number(line.slice(7));
    }
    if (data.length > 0) this.events.push({ event, id, data: data.join('\n'), at: Date.now() });
  }

  of<T = unknown>(event: string): T[] {
    return this.events.filter((e) => e.event === event).map((e) => JSON.parse(e.data) as T);
  }

  waitFor<T = unknown>(event: string, predicate: (data: T) => boolean, timeoutMs: number, from = 0): Promise<T> {
    return waitFor(
      () => {
        for (const e of this.events.slice(from)) {
          if (e.event !== event) continue;
          const data = JSON.parse(e.data) as T;
          if (predicate(data)) return data;
        }
        return undefined;
      },
      timeoutMs,
      `SSE ${event}`,
    );
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}

// biome-ignore lint/suspicious/noExplicitAny: a test reads response bodies of several shapes; assertions check them
export async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body, headers: res.headers };
}

const EVENT_SCHEMAS: Record<string, TSchema> = {
  [PULSE_EVENTS.systemPulse]: SystemPulseEvent,
  [PULSE_EVENTS.systemPulseDelta]: SystemPulseDeltaEvent,
  [PULSE_EVENTS.slow]: PulseSlowEvent,
  [PULSE_EVENTS.error]: PulseErrorEvent,
  [PULSE_EVENTS.status]: PulseStatusEvent,
};
const compiled = new Map(Object.entries(EVENT_SCHEMAS).map(([name, schema]) => [name, TypeCompiler.Compile(schema)]));

/** Every event a client received matches its payload schema in @gravito/pulse-protocol (what Zenith relies on). */
export function assertEventsMatchProtocol(client: SseClient): void {
  assert.ok(client.events.length > 0);
  for (const event of client.events) {
    const check = compiled.get(event.event);
    assert.ok(check, `unknown event ${event.event}`);
    const value = JSON.parse(event.data);
    if (!check.Check(value)) {
      const first = check.Errors(value).First();
      assert.fail(`${event.event} does not match the protocol schema at ${first?.path}: ${first?.message}`);
    }
  }
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function figuresOf(app: AppSnapshot): AppSummary {
  const { app: _name, servers: _servers, ...figures } = app;
  return figures;
}

/** What a delta client does (protocol README, "SSE payloads"): apply each delta to the state it holds. */
export function applyDelta(state: SystemPulseEvent, delta: SystemPulseDeltaEvent): SystemPulseEvent {
  const apps = new Map(state.apps.map((app) => [app.app, app]));
  for (const app of delta.apps_forgotten) apps.delete(app);
  for (const change of delta.apps) {
    const old = apps.get(change.app);
    const servers = new Map((old?.servers ?? []).map((s) => [s.id, s]));
    for (const id of change.forgotten) servers.delete(id);
    for (const server of change.servers) servers.set(server.id, server);
    apps.set(change.app, {
      app: change.app,
      ...(change.summary ?? figuresOf(old as AppSnapshot)),
      servers: [...servers.values()].sort((a, b) => byName(a.id, b.id)),
    });
  }
  const { apps: _changes, apps_forgotten: _gone, ...head } = delta;
  return { ...head, apps: [...apps.values()].sort((a, b) => byName(a.app, b.app)) };
}

/** Calls Redis has served of these commands, together (INFO commandstats). */
export async function commandCalls(redis: Redis, ...commands: string[]): Promise<number> {
  const stats = await redis.info('commandstats');
  return commands.reduce((n, c) => n + Number(new RegExp(`^cmdstat_${c}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0), 0);
}

/** Kills every client connection named `name` (CLIENT KILL); resolves with how many there were. */
export async function killClients(redis: Redis, name: string): Promise<number> {
  const list = (await redis.call('CLIENT', 'LIST')) as string;
  const ids = [...list.matchAll(/^id=(\d+) .*?name=(\S*)/gm)].filter(([, , n]) => n === name).map(([, id]) => id as string);
  for (const id of ids) await redis.call('CLIENT', 'KILL', 'ID', id);
  return ids.length;
}

/**
 * Runs `test` while Redis takes no new connection (`maxclients` lowered to the clients connected less one), after
 * killing the one connection named `name`: it cannot come back until `test` is over, when `maxclients` is as before.
 */
export async function withOneKilledAtMaxclients(redis: Redis, name: string, test: () => Promise<void>): Promise<void> {
  const [, before] = (await redis.config('GET', 'maxclients')) as [string, string];
  const connected = Number(/connected_clients:(\d+)/.exec(await redis.info('clients'))?.[1]);
  await redis.config('SET', 'maxclients', String(connected - 1));
  try {
    assert.equal(await killClients(redis, name), 1, `one ${name} connection killed`);
    await test();
  } finally {
    await redis.config('SET', 'maxclients', before);
  }
}

/**
 * The rare cases of a randomized test, each once in about `every` steps, at a random step of each such span: met
 * at least steps / every times whatever the seed. The schedule asks `next` only when it starts and when a case is
 * due, so a seed replays it. Gives, at each step, the cases due then.
 */
export function rareSchedule(next: () => number, rare: readonly (readonly [name: string, every: number])[]): (step: number) => string[] {
  const due = rare.map(([, every]) => Math.floor(next() * every));
  return (step) => {
    const names: string[] = [];
    for (const [r, [name, every]] of rare.entries()) {
      if (step % every !== due[r]) continue;
      names.push(name);
      due[r] = Math.floor(next() * every);
    }
    return names;
  };
}

/** Reads of every heartbeat key a tracking monitor has made, whatever the reason. */
export const everyKeyReads = (monitor: MonitorService): number => Object.values(monitor.heartbeats.resyncs).reduce((a, b) => a + b, 0);

/**
 * Moves a slot of the cluster to another master as `redis-cli --cluster reshard` does (IMPORTING, MIGRATING,
 * MIGRATE of its keys, NODE on every master), behind every other client's back: their slot maps still name the
 * old owner. Resolves with both masters and the keys moved.
 */
export async function moveSlot(writer: Cluster, slot: number): Promise<{ source: Redis; target: Redis; keys: string[] }> {
  const nodes = writer.nodes('master');
  const ownerAddress = writer.slots[slot]?.[0];
  const source = nodes.find((n) => nodeAddress(n) === ownerAddress);
  const target = nodes.find((n) => n !== source);
  assert.ok(source && target, 'two masters');
  const [sourceId, targetId] = await Promise.all([source, target].map(async (n) => (await n.cluster('MYID')) as string));
  await target.cluster('SETSLOT', slot, 'IMPORTING', sourceId as string);
  await source.cluster('SETSLOT', slot, 'MIGRATING', targetId as string);
  const keys = (await source.cluster('GETKEYSINSLOT', slot, 1_000)) as string[];
  if (keys.length > 0)
    await source.call('MIGRATE', target.options.host as string, String(target.options.port), '', '0', '5000', 'KEYS', ...keys);
  for (const node of nodes) await node.cluster('SETSLOT', slot, 'NODE', targetId as string);
  return { source, target, keys };
}
