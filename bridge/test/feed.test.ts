import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  errorMember,
  errorsKey,
  heartbeatKey,
  PULSE_EVENTS,
  type PulseErrorEvent,
  type PulseSlowEvent,
  type SystemPulseEvent,
  slowKey,
  slowStreamFields,
  validateHeartbeat,
} from '@gravito/pulse-protocol';
import { run } from '@gravito/pulse-testkit';
import type { Redis } from 'ioredis';
import {
  assertEventsMatchProtocol,
  errorEntry,
  getJson,
  SseClient,
  slowEntry,
  type startBridge,
  suiteRedisAndBridge,
  waitFor,
  writeHeartbeat,
} from './helpers.js';

const INTERVAL = 200;

describe('feed: raw heartbeats (another runtime SDK), SSE, JSON API, /metrics', () => {
  const suite = suiteRedisAndBridge(INTERVAL, { lostAfterMs: 1_000, forgetAfterMs: 4_000 });
  let client: Redis;
  let bridge: Awaited<ReturnType<typeof startBridge>>;
  before(() => {
    ({ client, bridge } = suite);
  });

  it('sends retry, id, status and system_pulse at once, then system_pulse every interval', async () => {
    const app = 'feed-connect';
    await writeHeartbeat(client, app, 'web-1');
    await waitFor(() => bridge.bridge.monitor.getAggregateMetrics().apps.some((a) => a.app === app), 3_000, 'first poll');
    const sse = await SseClient.connect(`${bridge.url}/api/pulse/stream`);
    try {
      assert.equal(sse.status, 200);
      assert.match(sse.headers?.get('content-type') ?? '', /^text\/event-stream/);
      assert.equal(sse.headers?.get('cache-control'), 'no-cache, no-transform');
      assert.equal(sse.headers?.get('x-accel-buffering'), 'no');
      // Sent on connect (not at the next poll): well within one interval of the smallest one allowed (1 s).
      const connectedAt = Date.now();
      const first = await sse.waitFor<SystemPulseEvent>(PULSE_EVENTS.systemPulse, () => true, 1_000);
      assert.ok(Date.now() - connectedAt <= 1_000, 'system_pulse within one interval');
      assert.deepEqual(
        sse.events.slice(0, 2).map((e) => e.event),
        [PULSE_EVENTS.status, PULSE_EVENTS.systemPulse],
        'status and the last aggregate come first, as the greeting',
      );
      assert.equal(sse.retry, 3_000);
      const status = sse.of<{ redis_up: boolean }>(PULSE_EVENTS.status)[0];
      assert.equal(status?.redis_up, true);
      assert.ok(first.apps.some((a) => a.app === app));
      // then one per interval
      await waitFor(() => sse.of(PULSE_EVENTS.systemPulse).length >= 4, INTERVAL * 8, 'periodic system_pulse');
      const ids = sse.events.map((e) => Number(e.id));
      assert.ok(
        ids.every((id, i) => i === 0 || id > (ids[i - 1] as number)),
        'ids increase',
      );
    } finally {
      await sse.close();
    }
  });

  it('aggregates by app with status, health and the heartbeat, and validates against the protocol', async () => {
    const app = 'feed-aggregate';
    await writeHeartbeat(client, app, 'web-1');
    await writeHeartbeat(client, app, 'web-2', (hb) => {
      hb.system.cpu_usage = 100;
    });
    const snap = await waitFor(
      () => bridge.bridge.monitor.getAggregateMetrics().apps.find((a) => a.app === app && a.servers.length === 2),
      3_000,
      'two servers',
    );
    assert.equal(snap.servers_online, 2);
    assert.equal(snap.servers_lost, 0);
    assert.deepEqual(
      snap.servers.map((s) => s.id),
      ['web-1', 'web-2'],
    );
    for (const s of snap.servers) assert.ok(validateHeartbeat(s.heartbeat).ok);
    // web-2 at 100 % CPU: half the servers at full CPU pressure → 15 × 0.5 = 7.5 points off; the vector's
    // /var/lib/data disk is 99.8 % full on both → 10 × 0.998 = 9.98 off; 100 − 17.48 → 83
    assert.equal(snap.health.score, 83);
    assert.equal(snap.health.reasons.length, 2);
    const api = await getJson(`${bridge.url}/api/pulse/servers?app=${app}`);
    assert.equal(api.status, 200);
    assert.equal(api.body.apps.length, 1);
    assert.equal(api.body.apps[0].servers.length, 2);
    const all = await getJson(`${bridge.url}/api/pulse/servers`);
    assert.ok(all.body.apps.some((a: { app: string }) => a.app === app));
  });

  it('flags a server that stops as lost, keeps it greyed, then forgets it', async () => {
    const app = 'feed-lost';
    // These SDKs say they report every 300 ms: lost after 900 ms without a heartbeat
    const fast = (hb: { meta: { interval_ms?: number } }) => {
      hb.meta.interval_ms = 300;
    };
    await writeHeartbeat(client, app, 'stays', fast);
    await writeHeartbeat(client, app, 'stops', fast);
    const sse = await SseClient.connect(`${bridge.url}/api/pulse/stream`);
    const keepAlive = setInterval(() => void writeHeartbeat(client, app, 'stays', fast), 200);
    try {
      await sse.waitFor<SystemPulseEvent>(
        PULSE_EVENTS.systemPulse,
        (e) => e.apps.some((a) => a.app === app && a.servers_online === 2),
        3_000,
      );
      // 'stops' writes no more
      const lost = await sse.waitFor<SystemPulseEvent>(
        PULSE_EVENTS.systemPulse,
        (e) => e.apps.some((a) => a.app === app && a.servers.find((s) => s.id === 'stops')?.status === 'lost'),
        4_000,
      );
      const appSnap = lost.apps.find((a) => a.app === app);
      assert.equal(appSnap?.servers_lost, 1);
      assert.equal(appSnap?.servers.find((s) => s.id === 'stays')?.status, 'online');
      assert.ok((appSnap?.health.score ?? 100) <= 85, 'a lost server costs health');
      // its key expires (deleted here): still remembered, as lost
      await client.del(heartbeatKey(app, 'stops'));
      await new Promise((r) => setTimeout(r, INTERVAL * 3));
      const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
      assert.match(metrics, new RegExp(`pulse_server_up\\{app="${app}",server="stops"\\} 0`));
      assert.match(metrics, new RegExp(`pulse_server_up\\{app="${app}",server="stays"\\} 1`));
      assert.match(metrics, new RegExp(`pulse_app_servers\\{app="${app}",status="lost"\\} 1`));
      // forget-after is 4 s from its last heartbeat
      await sse.waitFor<SystemPulseEvent>(
        PULSE_EVENTS.systemPulse,
        (e) => e.apps.some((a) => a.app === app && a.servers.length === 1),
        6_000,
        sse.events.length,
      );
    } finally {
      clearInterval(keepAlive);
      await sse.close();
    }
  });

  it('uses meta.interval_ms for lost detection when the heartbeat carries it', async () => {
    const app = 'feed-interval';
    // 10 s interval → lost after 30 s, although the bridge's lost-after is 1 s
    await writeHeartbeat(client, app, 'slow-reporter', (hb) => {
      hb.meta.interval_ms = 10_000;
      hb.timestamp = Date.now() - 5_000;
    });
    await writeHeartbeat(client, app, 'fast-reporter', (hb) => {
      hb.meta.interval_ms = 200;
      hb.timestamp = Date.now() - 1_000;
    });
    const snap = await waitFor(
      () => bridge.bridge.monitor.getAggregateMetrics().apps.find((a) => a.app === app && a.servers.length === 2),
      3_000,
      'servers',
    );
    assert.equal(snap.servers.find((s) => s.id === 'slow-reporter')?.status, 'online');
    assert.equal(snap.servers.find((s) => s.id === 'fast-reporter')?.status, 'lost');
  });

  it('delivers each slow entry and each exception exactly once, over SSE', async () => {
    const app = 'feed-entries';
    await writeHeartbeat(client, app, 'web-1');
    await waitFor(() => bridge.bridge.monitor.getAggregateMetrics().apps.some((a) => a.app === app), 3_000, 'app seen');
    const sse = await SseClient.connect(`${bridge.url}/api/pulse/stream`);
    try {
      const slowIds: string[] = [];
      const errorIds: string[] = [];
      for (let round = 0; round < 5; round++) {
        for (let i = 0; i < 4; i++) {
          slowIds.push(
            (await client.xadd(
              slowKey(app),
              'MAXLEN',
              '~',
              1000,
              '*',
              ...slowStreamFields(slowEntry({ duration_ms: 1500 + i, route: `/r/${i}` })),
            )) as string,
          );
          const entry = errorEntry(app, { fingerprint: i % 2 === 0 ? 'aaaa1111' : 'bbbb2222' });
          const { score, member } = errorMember(entry);
          await client.zadd(errorsKey(app), score, member);
          errorIds.push(entry.id);
        }
        await new Promise((r) => setTimeout(r, INTERVAL / 2));
      }
      // an exception written late with an older timestamp (a skewed clock) still arrives
      const late = errorEntry(app, { timestamp: Date.now() - 20_000 });
      await client.zadd(errorsKey(app), late.timestamp, JSON.stringify(late));
      errorIds.push(late.id);
      await waitFor(
        () =>
          sse.of<PulseSlowEvent>(PULSE_EVENTS.slow).filter((e) => e.app === app).length >= slowIds.length &&
          sse.of<PulseErrorEvent>(PULSE_EVENTS.error).filter((e) => e.app === app).length >= errorIds.length,
        5_000,
        'all entries',
      );
      // a few more intervals: nothing is sent twice
      await new Promise((r) => setTimeout(r, INTERVAL * 4));
      const slowGot = sse.of<PulseSlowEvent>(PULSE_EVENTS.slow).filter((e) => e.app === app);
      const errorsGot = sse.of<PulseErrorEvent>(PULSE_EVENTS.error).filter((e) => e.app === app);
      assert.deepEqual(
        slowGot.map((e) => e.stream_id),
        slowIds,
      );
      assert.deepEqual([...errorsGot.map((e) => e.entry.id)].sort(), [...errorIds].sort());
      assert.equal(slowGot[0]?.entry.kind, 'request');
      assertEventsMatchProtocol(sse);

      // JSON API: XREVRANGE newest first, limit respected
      const slow = await getJson(`${bridge.url}/api/pulse/slow?app=${app}&limit=5`);
      assert.equal(slow.status, 200);
      assert.deepEqual(
        slow.body.entries.map((e: { stream_id: string }) => e.stream_id),
        slowIds.slice(-5).reverse(),
      );
      const errors = await getJson(`${bridge.url}/api/pulse/errors?app=${app}&since=${Date.now() - 60_000}`);
      assert.equal(errors.status, 200);
      assert.equal(errors.body.total, errorIds.length);
      const byFp = new Map(errors.body.groups.map((g: { fingerprint: string }) => [g.fingerprint, g]));
      const a = byFp.get('aaaa1111') as { count: number; latest: number; sample: { fingerprint: string; timestamp: number } };
      assert.equal(a.count, 10);
      assert.equal(a.sample.fingerprint, 'aaaa1111');
      assert.equal(a.sample.timestamp, a.latest);

      // /metrics counts them
      const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
      assert.match(metrics, new RegExp(`pulse_slow_entries_total\\{app="${app}",kind="request",method="GET",route="/r/0"\\} 5`));
      assert.match(metrics, new RegExp(`pulse_exceptions_total\\{app="${app}",type="TypeError"\\} 21`));
      assert.match(metrics, new RegExp(`pulse_slow_entry_duration_seconds_count\\{app="${app}",kind="request"\\} 20`));
    } finally {
      await sse.close();
    }
  });

  it('answers bad JSON API parameters with a 400 JSON error', async () => {
    for (const path of [
      '/api/pulse/slow',
      '/api/pulse/slow?app=a:b',
      '/api/pulse/slow?app=ok&limit=0',
      '/api/pulse/slow?app=ok&limit=abc',
      '/api/pulse/slow?app=ok&limit=100000',
      '/api/pulse/slow?app=ok&app=two',
      '/api/pulse/errors?app=ok&since=-5',
      '/api/pulse/errors?app=ok&since=1e9',
      '/api/pulse/errors',
      `/api/pulse/servers?app=${'x'.repeat(65)}`,
    ]) {
      const res = await getJson(`${bridge.url}${path}`);
      assert.equal(res.status, 400, path);
      assert.equal(typeof res.body.error, 'string', path);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    }
    assert.equal((await getJson(`${bridge.url}/nope`)).status, 404);
  });

  it('serves every contract series on /metrics, passing promtool, and OpenMetrics on request', async () => {
    const app = 'feed-metrics';
    await writeHeartbeat(client, app, 'web-1');
    await client.xadd(slowKey(app), '*', ...slowStreamFields(slowEntry()));
    await waitFor(() => bridge.bridge.monitor.getAggregateMetrics().apps.some((a) => a.app === app), 3_000, 'app');
    const res = await fetch(`${bridge.url}/metrics`);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const series = [
      `pulse_server_up{app="${app}",server="web-1"} 1`,
      `pulse_server_last_heartbeat_timestamp_seconds{app="${app}",server="web-1"}`,
      `pulse_server_info{app="${app}",server="web-1",hostname="web-1",platform="linux",runtime="node",environment="production",version="1.4.2",source="gpp"} 1`,
      `pulse_server_cpu_ratio{app="${app}",server="web-1"} 0.125`,
      `pulse_server_memory_total_bytes{app="${app}",server="web-1"} 8589934592`,
      `pulse_server_memory_free_bytes{app="${app}",server="web-1"} 2147483648`,
      `pulse_server_load1{app="${app}",server="web-1"} 0.42`,
      `pulse_server_load5{app="${app}",server="web-1"} 0.38`,
      `pulse_server_load15{app="${app}",server="web-1"} 0.3`,
      `pulse_server_disk_total_bytes{app="${app}",server="web-1",mount="/"} 107374182400`,
      `pulse_server_disk_free_bytes{app="${app}",server="web-1",mount="/var/lib/data"} 1073741824`,
      `pulse_process_cpu_ratio{app="${app}",server="web-1"} 0.032`,
      `pulse_process_resident_memory_bytes{app="${app}",server="web-1"} 104857600`,
      `pulse_process_heap_used_bytes{app="${app}",server="web-1"} 52428800`,
      `pulse_process_uptime_seconds{app="${app}",server="web-1"} 3600.5`,
      `pulse_process_pid{app="${app}",server="web-1"} 4242`,
      `pulse_app_health_score{app="${app}"}`,
      `pulse_app_servers{app="${app}",status="online"} 1`,
      `pulse_app_servers{app="${app}",status="lost"} 0`,
      '# TYPE pulse_slow_entries_total counter',
      '# TYPE pulse_slow_entry_duration_seconds histogram',
      '# TYPE pulse_exceptions_total counter',
      'pulse_bridge_redis_up 1',
      'pulse_bridge_invalid_heartbeats_total',
      'pulse_bridge_sse_clients 0',
      'process_cpu_user_seconds_total',
      'nodejs_eventloop_lag_seconds',
    ];
    for (const s of series) assert.ok(text.includes(s), `missing ${s}`);
    await run('promtool', ['check', 'metrics'], { input: text });

    const om = await fetch(`${bridge.url}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
    assert.match(om.headers.get('content-type') ?? '', /^application\/openmetrics-text/);
    const omText = await om.text();
    assert.ok(omText.endsWith('# EOF\n'));
    assert.ok(omText.includes('# TYPE pulse_slow_entries counter'));
    assert.ok(omText.includes(`pulse_server_up{app="${app}",server="web-1"} 1`));
    // the text format is not disturbed by an OpenMetrics scrape
    const again = await (await fetch(`${bridge.url}/metrics`)).text();
    assert.ok(again.includes('# TYPE pulse_slow_entries_total counter'));
  });

  it('/healthz and /readyz', async () => {
    assert.deepEqual((await getJson(`${bridge.url}/healthz`)).body, { status: 'ok' });
    const ready = await getJson(`${bridge.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(ready.body.redis_up, true);
  });
});
