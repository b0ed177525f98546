import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ERRORS_WINDOW_MS,
  errorsKey,
  heartbeatKey,
  parseErrorMember,
  parseHeartbeat,
  parseSlowStreamFields,
  slowKey,
} from '@gravito/pulse-protocol';
import { startRedis, type TestRedis } from '@gravito/pulse-testkit';
import type { Redis } from 'ioredis';
import { RUNTIME } from '../src/runtime/detect.js';
import { type AppProcess, assertCleanStderr, EXAMPLE_SERVER, get, sleep, startApp, uniqueApp, waitFor } from './helpers.js';

// The example app in its own process, exactly as the demo runs it: server.ts with NodeSDK,
// HttpInstrumentation, ExpressInstrumentation and Pulse; real HTTP, real Redis.
describe('example express app → Redis (acceptance)', () => {
  let redis: TestRedis;
  let client: Redis;
  let app: AppProcess;
  const appName = uniqueApp('express');
  const INTERVAL_MS = 500;

  before(async () => {
    redis = await startRedis();
    client = redis.client();
    app = await startApp(EXAMPLE_SERVER, {
      REDIS_URL: redis.url,
      PULSE_APP_NAME: appName,
      PULSE_INTERVAL_MS: String(INTERVAL_MS),
      PULSE_TTL_SECONDS: '2',
      PULSE_FLUSH_INTERVAL_MS: '100',
    });
  });
  after(async () => {
    await app?.stop();
    await redis?.stop();
  });

  const slowEntries = async () => {
    const rows = await client.xrange(slowKey(appName), '-', '+');
    return rows.map(([, fields]) => {
      const parsed = parseSlowStreamFields(fields);
      assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
      return parsed.value;
    });
  };

  it('writes a valid heartbeat within one interval, with a TTL from config', async () => {
    const started = Date.now();
    const key = await waitFor('a heartbeat key', async () => (await client.keys(`pulse:server:${appName}:*`))[0], INTERVAL_MS * 4, 20);
    // startApp waited for "listening", which comes after sdk.start(): the heartbeat arrives within one interval of it.
    assert.ok(Date.now() - started <= INTERVAL_MS + 300, `heartbeat after ${Date.now() - started} ms`);
    const raw = await client.get(key);
    const parsed = parseHeartbeat(raw);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    const hb = parsed.value;
    assert.equal(key, heartbeatKey(appName, hb.meta.instance_id as string));
    assert.equal(hb.meta.app_name, appName);
    // startApp runs the app on this test's own runtime: Node, or Bun in CI's Bun leg.
    assert.equal(hb.meta.runtime, RUNTIME.name);
    assert.equal(hb.meta.interval_ms, INTERVAL_MS);
    assert.match(hb.meta.sdk ?? '', /^@gravito\/pulse-node\//);
    assert.ok(hb.system.cpu_count && hb.system.cpu_count >= 1);
    assert.equal(hb.system.disks?.[0]?.mount, '/');
    assert.ok((hb.system.disks?.[0]?.total ?? 0) > 0);
    const heap = hb.process.memory_heap ?? 0;
    assert.ok(hb.process.memory_rss > 0 && heap > 0 && (hb.process.memory_heap_total ?? 0) >= heap);
    assert.deepEqual(hb.recorder, { dropped_entries: 0, failed_writes: 0, invalid_payloads: 0 });
    const ttl = await client.ttl(key);
    assert.ok(ttl > 0 && ttl <= 2, `ttl ${ttl}`);
    // The heartbeat written at start may come before the loop's first measured tick: event-loop figures are then
    // absent, never zeros. The next ones carry them.
    const withLoop = await waitFor(
      'a heartbeat with event-loop figures',
      async () => {
        const next = parseHeartbeat(await client.get(key));
        return next.ok && next.value.process.event_loop ? next.value.process.event_loop : undefined;
      },
      INTERVAL_MS * 3,
    );
    assert.ok(withLoop.delay_p99_ms >= withLoop.delay_p50_ms);
  });

  it('a request to /slow/42 taking 1.2 s gives exactly one stream entry; a fast request gives none', async () => {
    assert.equal((await get(`${app.url}/`)).status, 200);
    assert.equal((await get(`${app.url}/slow/42`)).status, 200); // SLOW_DELAY_MS default: 1200 ms
    const entries = await waitFor('one slow entry', async () => ((await slowEntries()).length > 0 ? slowEntries() : undefined), 3_000);
    await sleep(300); // a second (wrong) entry would have arrived by now
    const all = await slowEntries();
    assert.equal(all.length, 1, JSON.stringify(all));
    const [entry] = entries;
    assert.equal(entry?.kind, 'request');
    assert.equal(entry?.name, 'GET /slow/:id');
    assert.equal(entry?.route, '/slow/:id');
    assert.equal(entry?.method, 'GET');
    assert.equal(entry?.status, 200);
    assert.ok((entry?.duration_ms ?? 0) >= 1200 && (entry?.duration_ms ?? 0) < 5000, `duration ${entry?.duration_ms}`);
    assert.equal(entry?.threshold_ms, 1000);
    assert.match(entry?.trace_id ?? '', /^[0-9a-f]{32}$/);
  });

  it('a slow CONSUMER span becomes a job entry named after the job', async () => {
    await get(`${app.url}/job?name=generate-report&ms=1100`);
    const job = await waitFor('a job entry', async () => (await slowEntries()).find((e) => e.kind === 'job'), 3_000);
    assert.equal(job.name, 'generate-report');
    assert.equal(job.route, undefined);
    assert.equal(job.method, undefined);
  });

  it('a thrown error gives one error member with its type, message, stack and route', async () => {
    const res = await get(`${app.url}/error`);
    assert.equal(res.status, 500);
    const members = await waitFor(
      'an error member',
      async () => {
        const m = await client.zrange(errorsKey(appName), '0', '-1');
        return m.length > 0 ? m : undefined;
      },
      3_000,
    );
    await sleep(300);
    const all = await client.zrange(errorsKey(appName), '0', '-1', 'WITHSCORES');
    assert.equal(all.length, 2, `exactly one member: ${JSON.stringify(all)}`);
    const parsed = parseErrorMember(members[0] as string);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    const e = parsed.value;
    assert.equal(e.type, 'TypeError');
    assert.equal(e.message, 'example failure from /error');
    assert.match(e.stack ?? '', /example failure from \/error\n\s+at /);
    assert.equal(e.route, '/error');
    assert.equal(Number(all[1]), e.timestamp);
    const ttl = await client.ttl(errorsKey(appName));
    assert.ok(ttl > 3500 && ttl <= 3600, `errors key ttl ${ttl}`);
  });

  it('trims error members older than the window', async () => {
    const key = errorsKey(appName);
    const old = Date.now() - ERRORS_WINDOW_MS - 60_000;
    await client.zadd(key, old, JSON.stringify({ old: true }));
    assert.equal(await client.zcount(key, '-inf', old), 1);
    await get(`${app.url}/error`);
    await waitFor('the old member trimmed', async () => ((await client.zcount(key, '-inf', old)) === 0 ? true : undefined), 3_000);
    assert.ok((await client.zcard(key)) >= 2);
  });

  it('on SIGTERM the last heartbeat says stopped, then disappears (short TTL)', async () => {
    const [key] = await client.keys(`pulse:server:${appName}:*`);
    assert.ok(key);
    const before = parseHeartbeat(await client.get(key));
    assert.ok(before.ok && before.value.state === undefined, 'a running server writes no state');
    const code = await app.stop();
    assert.equal(code, 0, `exit code ${code}; stderr:\n${app.stderr()}`);
    assertCleanStderr(app.stderr());
    const last = parseHeartbeat(await client.get(key));
    assert.ok(last.ok, last.ok ? '' : last.error);
    assert.equal(last.value.state, 'stopped');
    assert.ok(last.value.timestamp >= before.value.timestamp);
    assert.ok((await client.ttl(key)) > 0, 'the stopped heartbeat expires like any other');
    await waitFor('the heartbeat to expire', async () => ((await client.exists(key)) === 0 ? true : undefined), 4_000);
  });

  it('a crash (SIGKILL) leaves a running heartbeat: readers will call it lost', async () => {
    const crashing = await startApp(EXAMPLE_SERVER, { REDIS_URL: redis.url, PULSE_APP_NAME: `${appName}-crash`, PULSE_INTERVAL_MS: '500' });
    const key = await waitFor('a heartbeat key', async () => (await client.keys(`pulse:server:${appName}-crash:*`))[0], 4_000, 20);
    crashing.child.kill('SIGKILL');
    await new Promise((resolve) => crashing.child.once('exit', resolve));
    const last = parseHeartbeat(await client.get(key));
    assert.ok(last.ok && last.value.state === undefined);
  });
});
