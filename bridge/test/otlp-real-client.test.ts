// A process with no Pulse code (OpenTelemetry's SDK, its OTLP exporters and host-metrics: fixtures/otlp-app) feeds
// the bridge's OTLP receiver: its server, slow requests by route and exceptions reach Redis as GPP, the SSE feed and
// /metrics; it stays online between its exports and turns lost once they stop. Both encodings, gzip on and off.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  errorFingerprint,
  heartbeatKey,
  PULSE_EVENTS,
  parseErrorMember,
  parseHeartbeat,
  parseSlowStreamFields,
  type SystemPulseEvent,
} from '@gravito/pulse-protocol';
import { startRedis, type TestRedis } from '@gravito/pulse-testkit';
import type { Redis } from 'ioredis';
import type { Child } from '../../scripts/demo/processes.js';
import { startOtlpApp } from './fixtures/otlp-app/launch.js';
import { SseClient, startBridge, waitFor } from './helpers.js';

const TOKEN = 'otlp-test-token';
const EXPORT_INTERVAL_MS = 3_000;

interface Variant {
  encoding: 'proto' | 'json';
  gzip: boolean;
}
const VARIANTS: Variant[] = [
  { encoding: 'proto', gzip: false },
  { encoding: 'proto', gzip: true },
  { encoding: 'json', gzip: false },
  { encoding: 'json', gzip: true },
];

function startApp(url: string, service: string, v: Variant, instance: string): Child {
  return startOtlpApp({ endpoint: url, service, instance, ...v, exportIntervalMs: EXPORT_INTERVAL_MS, token: TOKEN });
}

async function slowSpanIds(redis: Redis, app: string): Promise<Set<string>> {
  const entries = await redis.xrange(`pulse:slow:${app}`, '-', '+');
  const ids = new Set<string>();
  for (const [, fields] of entries) {
    const parsed = parseSlowStreamFields(fields);
    if (parsed.ok && parsed.value.span_id) ids.add(parsed.value.span_id);
  }
  return ids;
}

describe('OTLP receiver with OpenTelemetry’s own exporters (no Pulse code in the app)', () => {
  let redis: TestRedis;
  let client: Redis;
  let bridge: Awaited<ReturnType<typeof startBridge>>;
  let sse: SseClient;
  const apps: Child[] = [];

  before(async () => {
    redis = await startRedis();
    client = redis.client();
    bridge = await startBridge({ redisUrl: redis.url, otlp: true, token: TOKEN }, 250);
    sse = await SseClient.connect(`${bridge.url}/api/pulse/stream`, { authorization: `Bearer ${TOKEN}` });
  });
  after(async () => {
    await Promise.all(apps.map((app) => app.stop()));
    await sse?.close();
    await bridge?.stop();
    await redis?.stop();
  });

  for (const v of VARIANTS) {
    it(`${v.encoding}, gzip ${v.gzip ? 'on' : 'off'}: server, slow requests by route and exceptions reach Redis, the feed and /metrics`, async () => {
      const service = `otlp-${v.encoding}-${v.gzip ? 'gz' : 'plain'}-${process.pid}`;
      const app = startApp(bridge.url, service, v, 'web-1');
      apps.push(app);
      await app.waitForLine(/^ready$/, 20_000);

      const hb = await waitFor(
        async () => {
          const read = parseHeartbeat(await client.get(heartbeatKey(service, 'web-1')));
          // The first export's heartbeat assumes the SDK default interval (60 s); the second one's is observed.
          return read.ok && read.value.meta.interval_ms !== undefined && read.value.meta.interval_ms < 60_000 ? read.value : undefined;
        },
        20_000,
        'a heartbeat from the OTLP app, with its observed interval',
      );
      assert.equal(hb.meta.app_name, service);
      assert.equal(hb.meta.runtime, 'node');
      assert.equal(hb.meta.environment, 'test');
      assert.equal(hb.meta.version, '1.2.3');
      assert.equal(hb.meta.instance_id, 'web-1');
      assert.match(hb.meta.sdk ?? '', /^otlp opentelemetry\/nodejs\//);
      assert.ok(Math.abs((hb.meta.interval_ms as number) - EXPORT_INTERVAL_MS) < 1_000, `interval ${hb.meta.interval_ms}`);
      assert.equal(hb.process.pid, app.process.pid);
      assert.ok(hb.system.memory_total > 0 && hb.system.memory_free <= hb.system.memory_total);
      assert.ok(hb.process.memory_rss > 0);
      assert.ok(hb.system.cpu_usage >= 0 && hb.system.cpu_usage <= 100);
      assert.equal(hb.system.platform, 'linux');
      // host-metrics sends no filesystem, load average or runtime figures: absent, never 0.
      assert.equal(hb.system.disks, undefined);
      assert.equal(hb.system.load_avg, undefined);
      assert.equal(hb.process.event_loop, undefined);
      assert.equal(hb.process.memory_heap, undefined);
      const ttl = await client.ttl(heartbeatKey(service, 'web-1'));
      assert.ok(ttl > 0 && ttl <= 30, `ttl ${ttl}`);

      // Slow requests by route (the fast /health never), with the spans' own ids.
      await waitFor(async () => ((await slowSpanIds(client, service)).size >= 5 ? true : undefined), 15_000, 'slow entries');
      const stream = await client.xrange(`pulse:slow:${service}`, '-', '+');
      const entries = stream.map(([, f]) => parseSlowStreamFields(f)).filter((e) => !e.ok || e.value.kind === 'request');
      assert.ok(entries.length >= 3);
      for (const e of entries) {
        assert.ok(e.ok, e.ok ? '' : e.error);
        assert.equal(e.value.name, 'GET /orders/:id');
        assert.equal(e.value.route, '/orders/:id');
        assert.equal(e.value.method, 'GET');
        assert.equal(e.value.status, 200);
        assert.equal(e.value.server_id, 'web-1');
        assert.ok(e.value.duration_ms >= 1_499 && e.value.threshold_ms === 1_000);
      }

      // CLIENT spans: a slow query named by its statement without a literal, an outgoing request by METHOD host/path.
      const clients = stream.flatMap(([, f]) => {
        const e = parseSlowStreamFields(f);
        return e.ok && e.value.kind !== 'request' ? [[e.value.kind, e.value.name, e.value.method, e.value.status]] : [];
      });
      assert.deepEqual(clients.slice(0, 2), [
        ['query', 'SELECT * FROM cards WHERE number = ? AND owner_id = ?', undefined, undefined],
        ['outgoing', 'POST payments.example.com/v1/cards/:id/charges', 'POST', 402],
      ]);
      assert.ok(!JSON.stringify(stream).includes('4111 1111'), 'no literal of a query in Redis');

      // Exceptions, fingerprinted as the Node exporter does.
      const members = await waitFor(
        async () => {
          const m = await client.zrange(`pulse:errors:${service}`, '0', '-1');
          return m.length > 0 ? m : undefined;
        },
        15_000,
        'error entries',
      );
      const error = parseErrorMember(members[0] as string);
      assert.ok(error.ok, error.ok ? '' : error.error);
      assert.equal(error.value.type, 'TypeError');
      assert.match(error.value.message, /^card \d+ declined$/);
      assert.equal(error.value.route, '/pay');
      assert.equal(error.value.fingerprint, errorFingerprint('TypeError', error.value.message, error.value.stack));
      assert.ok((await client.ttl(`pulse:errors:${service}`)) > 0);

      // The bridge serves it: the feed, then /metrics.
      await waitFor(
        () =>
          sse.events.some(
            (e) =>
              e.event === PULSE_EVENTS.systemPulse &&
              (JSON.parse(e.data) as SystemPulseEvent).apps.some((a) => a.app === service && a.servers[0]?.status === 'online'),
          ) || undefined,
        10_000,
        'the server in system_pulse',
      );
      await waitFor(
        () => sse.events.some((e) => e.event === PULSE_EVENTS.slow && e.data.includes(service)) || undefined,
        10_000,
        'pulse_slow',
      );
      await waitFor(
        () => sse.events.some((e) => e.event === PULSE_EVENTS.error && e.data.includes(service)) || undefined,
        10_000,
        'pulse_error',
      );
      const metrics = await (await fetch(`${bridge.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
      assert.match(metrics, new RegExp(`pulse_server_up\\{app="${service}",server="web-1"\\} 1`));
      assert.match(
        metrics,
        new RegExp(`pulse_slow_entries_total\\{app="${service}",kind="request",method="GET",route="/orders/:id"\\} [1-9]`),
      );
      assert.match(metrics, new RegExp(`pulse_exceptions_total\\{[^}]*app="${service}"[^}]*\\} [1-9]`));
      assert.match(metrics, /pulse_bridge_otlp_events_total\{signal="metrics",event="heartbeats_written"\} [1-9]/);
    });
  }

  it('stays online across its export interval, past the 30 s TTL scaled to it, and turns lost once it stops', async () => {
    const service = `otlp-liveness-${process.pid}`;
    const app = startApp(bridge.url, service, VARIANTS[0] as Variant, 'web-2');
    apps.push(app);
    const statusOf = () => {
      for (let i = sse.events.length - 1; i >= 0; i--) {
        const e = sse.events[i];
        if (e?.event !== PULSE_EVENTS.systemPulse) continue;
        return (JSON.parse(e.data) as SystemPulseEvent).apps.find((a) => a.app === service)?.servers[0]?.status;
      }
      return undefined;
    };
    await waitFor(
      async () => {
        const read = parseHeartbeat(await client.get(heartbeatKey(service, 'web-2')));
        return read.ok && read.value.meta.interval_ms !== undefined && read.value.meta.interval_ms < 5_000 ? true : undefined;
      },
      20_000,
      'a heartbeat that carries the observed interval',
    );
    await waitFor(() => (statusOf() === 'online' ? true : undefined), 10_000, 'online');
    // Three intervals in a row (each longer than GPP's 5 s heartbeat scaled the same way, 30 s TTL ÷ 60 s × 3 s = 1.5 s):
    // online at every tick in between.
    const until = Date.now() + 3 * EXPORT_INTERVAL_MS;
    while (Date.now() < until) {
      assert.equal(statusOf(), 'online');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await app.stop();
    const stoppedAt = Date.now();
    await waitFor(() => (statusOf() === 'lost' ? true : undefined), 3 * EXPORT_INTERVAL_MS + 5_000, 'lost after the exports stop');
    const lostAfter = Date.now() - stoppedAt;
    assert.ok(lostAfter >= 2 * EXPORT_INTERVAL_MS - 1_000, `lost after ${lostAfter} ms, not before its 3 intervals ran out`);
  });
});
