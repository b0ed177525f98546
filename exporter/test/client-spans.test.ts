import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  eventually,
  everyKeyAndValue,
  skipWithoutPostgres,
  startPostgres,
  startRedis,
  type TestPostgres,
  type TestRedis,
} from '@gravito/pulse-testkit';
import { SpanKind } from '@opentelemetry/api';
import type { Redis } from 'ioredis';
import { createPulse, PulseConfigError, pulseOptionsFromEnv } from '../src/index.js';
import { type AppProcess, get, NEEDS_REGISTER_ENTRY, OTEL3_LEG_ZERO_CODE, sleep, startNode, uniqueApp } from './helpers.js';
import { pulseWithTracer, slowEntries } from './pulse-under-test.js';

describe('options of queries and outgoing requests', () => {
  it('are checked at createPulse, each naming itself', () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ queryThresholdMs: -1 }, /queryThresholdMs must be a number/],
      [{ queryThresholds: { 'SELECT*': 'slow' } }, /queryThresholds\[SELECT\*\]/],
      [{ outgoingIgnore: 'x' }, /outgoingIgnore must be an array/],
      [{ outgoingGroups: [[/api/, 5]] }, /outgoingGroups\[\/api\/\] must be a replacement string/],
      [{ recordQueries: 'no' }, /recordQueries must be true or false/],
    ];
    for (const [options, message] of bad) {
      assert.throws(
        () => createPulse(options as never),
        (err: Error) => err instanceof PulseConfigError && message.test(err.message),
        JSON.stringify(options),
      );
    }
  });

  it('are read from PULSE_* variables', () => {
    assert.deepEqual(
      pulseOptionsFromEnv({
        PULSE_QUERY_THRESHOLD_MS: '250',
        PULSE_OUTGOING_THRESHOLD_MS: '2000',
        PULSE_QUERY_IGNORE: 'blpop *, *pg_stat*',
        PULSE_OUTGOING_IGNORE: '127.0.0.1:9200/*',
        PULSE_RECORD_QUERIES: 'false',
        PULSE_RECORD_OUTGOING: 'true',
      }),
      {
        queryThresholdMs: 250,
        outgoingThresholdMs: 2000,
        queryIgnore: ['blpop *', '*pg_stat*'],
        outgoingIgnore: ['127.0.0.1:9200/*'],
        recordQueries: false,
        recordOutgoing: true,
      },
    );
  });

  it('out of range, name the variable set, as a value that does not parse does', () => {
    assert.throws(
      () => pulseOptionsFromEnv({ PULSE_INTERVAL_MS: '-5' }),
      /PULSE_INTERVAL_MS \(intervalMs\) must be an integer from 100 to/,
    );
    assert.throws(
      () => pulseOptionsFromEnv({ PULSE_INTERVAL_MS: '5000', PULSE_TTL_SECONDS: '2' }),
      /PULSE_TTL_SECONDS \(ttlSeconds\) \(2 s\) must be longer than PULSE_INTERVAL_MS \(intervalMs\)/,
    );
    assert.throws(() => pulseOptionsFromEnv({ PULSE_QUERY_THRESHOLD_MS: 'soon' }), /PULSE_QUERY_THRESHOLD_MS must be a number/);
  });
});

describe('slow CLIENT spans: queries and outgoing requests', () => {
  let redis: TestRedis;
  let client: Redis;
  before(async () => {
    redis = await startRedis();
    client = redis.client();
  });
  after(() => redis?.stop());

  const setup = (options: Parameters<typeof createPulse>[0] & { appName: string }) => pulseWithTracer(redis.url, client, options);

  it('names a database call by its normalized statement, an HTTP call by method, host and path; old and new attribute names', async () => {
    const appName = uniqueApp('client-names');
    const { pulse, end, slow } = setup({
      appName,
      outgoingGroups: [[/^api\.github\.com\/repos\/.*$/, 'api.github.com/repos/*']],
    });
    const db = { 'db.system.name': 'postgresql', 'db.query.text': "SELECT * FROM t WHERE email = 'x@y.z'" };
    end('SELECT', SpanKind.CLIENT, 1500, { ...db, 'code.file.path': '/app/src/repo.js', 'code.line.number': 42 });
    end('SELECT', SpanKind.CLIENT, 1500, {
      'db.system': 'mysql',
      'db.statement': 'SELECT * FROM t WHERE id IN (1, 2, 3)',
      'code.filepath': '/app/src/old.js',
      'code.lineno': 7,
    });
    end('pg.connect', SpanKind.CLIENT, 1500, { 'db.system.name': 'postgresql' }); // no statement: the span name
    const uuid = '0b7e4c39-4c55-4a0e-9b6c-3f0b2f1b8a1e';
    end('GET', SpanKind.CLIENT, 1500, {
      'http.request.method': 'GET',
      'url.full': `http://127.0.0.1:8080/users/42/orders/${uuid}?token=abc#top`,
      'server.address': '127.0.0.1',
      'server.port': 8080,
      'http.response.status_code': 404,
    });
    end('HTTP POST', SpanKind.CLIENT, 1500, {
      'http.method': 'POST',
      'http.url': 'https://user:secret@api.example.com:443/v1/items/5f2b8c1e9d3a4b7c?x=1',
      'http.status_code': 201,
    });
    end('GET', SpanKind.CLIENT, 1500, {
      'http.request.method': 'GET',
      'server.address': 'api.example.com',
      'server.port': 8443,
      'url.path': '/a/123',
    });
    end('GET', SpanKind.CLIENT, 1500, { 'http.request.method': 'GET', 'url.full': 'https://api.github.com/repos/gravito/pulse/issues/24' });
    end('grpc.Call', SpanKind.CLIENT, 5000); // neither a database nor an HTTP call
    end('GET', SpanKind.CLIENT, 500, { 'http.request.method': 'GET', 'url.full': 'http://127.0.0.1:8080/fast' }); // under 1 s
    await pulse.forceFlush();
    const entries = await slow();
    assert.deepEqual(
      entries.map((e) => [e.kind, e.name, e.method, e.status, e.location]),
      [
        ['query', 'SELECT * FROM t WHERE email = ?', undefined, undefined, '/app/src/repo.js:42'],
        ['query', 'SELECT * FROM t WHERE id IN (?)', undefined, undefined, '/app/src/old.js:7'],
        ['query', 'pg.connect', undefined, undefined, undefined],
        ['outgoing', 'GET 127.0.0.1:8080/users/:id/orders/:id', 'GET', 404, undefined],
        ['outgoing', 'POST api.example.com/v1/items/:id', 'POST', 201, undefined],
        ['outgoing', 'GET api.example.com:8443/a/:id', 'GET', undefined, undefined],
        ['outgoing', 'GET api.github.com/repos/*', 'GET', undefined, undefined],
      ],
    );
    assert.ok(
      entries.every((e) => e.host === undefined && e.threshold_ms === 1000),
      "Laravel Pulse's 1 s; no host yet: its first state is taken a second after start",
    );
    await pulse.shutdown();
  });

  it('gives each kind its own thresholds, ignore patterns and off switch', async () => {
    const appName = uniqueApp('client-rules');
    const { pulse, end, slow } = setup({
      appName,
      thresholdMs: 5000,
      queryThresholdMs: 100,
      queryThresholds: { 'SELECT * FROM reports*': 3000 },
      queryIgnore: [/pg_stat/],
      outgoingThresholdMs: 2000,
      outgoingIgnore: ['127.0.0.1:9200/*'],
    });
    const query = (text: string, ms: number) => end('q', SpanKind.CLIENT, ms, { 'db.system.name': 'postgresql', 'db.query.text': text });
    const fetch = (url: string, ms: number) => end('GET', SpanKind.CLIENT, ms, { 'http.request.method': 'GET', 'url.full': url });
    query('SELECT 1', 200); // over its 100 ms
    query('SELECT * FROM reports WHERE id = 1', 2000); // under its 3 s
    query('SELECT * FROM pg_stat_activity', 5000); // ignored
    fetch('http://127.0.0.1:9200/_search', 5000); // ignored
    fetch('http://127.0.0.1:8080/a', 1500); // under its 2 s
    fetch('http://127.0.0.1:8080/b', 2500); // over
    end('GET', SpanKind.SERVER, 1500, { 'http.route': '/c', 'http.request.method': 'GET' }); // under the requests' 5 s
    await pulse.forceFlush();
    assert.deepEqual(
      (await slow()).map((e) => [e.kind, e.name, e.threshold_ms]),
      [
        ['query', 'SELECT ?', 100],
        ['outgoing', 'GET 127.0.0.1:8080/b', 2000],
      ],
    );
    await pulse.shutdown();

    const offApp = uniqueApp('client-off');
    const off = setup({ appName: offApp, recordQueries: false });
    off.end('q', SpanKind.CLIENT, 5000, { 'db.system.name': 'redis', 'db.query.text': 'get k' });
    off.end('GET', SpanKind.CLIENT, 5000, { 'http.request.method': 'GET', 'url.full': 'http://127.0.0.1:8080/d' });
    await off.pulse.forceFlush();
    assert.deepEqual(
      (await off.slow()).map((e) => e.kind),
      ['outgoing'],
      'recordQueries: false',
    );
    await off.pulse.shutdown();
  });

  it('gives every slow entry, of every kind, the host around that moment', async () => {
    const appName = uniqueApp('client-host');
    const { pulse, tracer, end, slow } = setup({ appName, ignore: ['/in-flight'] });
    const inFlight = tracer.startSpan('GET', { kind: SpanKind.SERVER, attributes: { 'http.route': '/in-flight' } });
    await sleep(1_300); // the host's state is taken a second after start, then every second
    end('GET', SpanKind.SERVER, 1500, { 'http.route': '/r', 'http.request.method': 'GET' });
    end('job', SpanKind.CONSUMER, 1500);
    end('q', SpanKind.CLIENT, 1500, { 'db.system.name': 'redis', 'db.query.text': 'get k' });
    end('GET', SpanKind.CLIENT, 1500, { 'http.request.method': 'GET', 'url.full': 'http://127.0.0.1:8080/e' });
    inFlight.end();
    await pulse.forceFlush();
    const entries = await slow();
    assert.deepEqual(
      entries.map((e) => e.kind),
      ['request', 'job', 'query', 'outgoing'],
    );
    for (const { kind, host } of entries) {
      assert.ok(host, `${kind} has a host`);
      assert.ok(host.cpu_usage !== undefined && host.cpu_usage >= 0 && host.cpu_usage <= 100, `cpu_usage ${host.cpu_usage}`);
      assert.ok(host.event_loop_delay_p99_ms !== undefined && host.event_loop_delay_p99_ms >= 0);
      assert.ok(host.memory_heap !== undefined && host.memory_heap > 0);
      assert.ok(host.memory_rss !== undefined && host.memory_rss >= host.memory_heap);
      assert.equal(host.requests_in_flight, 1, 'the request started before the state was taken');
    }
    await pulse.shutdown();
  });
});

// The register entry as a user runs it, in an ES module app with no OpenTelemetry or Pulse code: real PostgreSQL, a
// second Redis for the app's own commands, and a slow HTTP server.
const APP = fileURLToPath(new URL('./fixtures/client-spans-app.mjs', import.meta.url));

describe('zero-code app: slow SQL, Redis and fetch', { skip: NEEDS_REGISTER_ENTRY || skipWithoutPostgres() }, () => {
  let redis: TestRedis;
  let cacheRedis: TestRedis;
  let postgres: TestPostgres;
  let slowServer: Server;
  let slowPort: number;
  let client: Redis;
  const apps: AppProcess[] = [];
  // Values of the app's queries: random, so that finding one in Redis can only mean it leaked.
  const CARD = `4${randomInt(1e6, 1e7)}${randomInt(1e7, 1e8)}`;
  const EMAIL = `jane.${randomInt(1e9)}@example.com`;

  before(async () => {
    [redis, cacheRedis, postgres] = await Promise.all([startRedis(), startRedis({ faults: true }), startPostgres()]);
    client = redis.client();
    slowServer = createServer((_req, res) => setTimeout(() => res.end('slow'), 1_100));
    await new Promise<void>((resolve) => slowServer.listen(0, '127.0.0.1', resolve));
    slowPort = (slowServer.address() as AddressInfo).port;
  });
  after(async () => {
    await Promise.all(apps.map((app) => app.stop()));
    slowServer?.close();
    await Promise.all([redis?.stop(), cacheRedis?.stop(), postgres?.stop()]);
  });

  async function startApp(appName: string, env: Record<string, string> = {}): Promise<AppProcess> {
    const app = await startNode(['--import', '@gravito/pulse-node/register', APP], {
      OTEL_SERVICE_NAME: appName,
      REDIS_URL: redis.url,
      DATABASE_URL: postgres.url,
      CACHE_REDIS_URL: cacheRedis.url,
      SLOW_SERVER_URL: `http://127.0.0.1:${slowPort}`,
      CARD,
      EMAIL,
      PULSE_FLUSH_INTERVAL_MS: '100',
      ...env,
    });
    apps.push(app);
    // Running: its first heartbeat is written about a second after start.
    await eventually('the first heartbeat', async () => (await client.keys(`pulse:server:${appName}:*`)).length > 0, 10_000);
    return app;
  }

  const appName = uniqueApp('zero-code-clients');
  let app: AppProcess;

  it('writes three entries, query, query and outgoing, named without values, each with the host', async () => {
    app = await startApp(appName, { OTEL_LOG_LEVEL: 'info' });
    assert.equal((await get(`${app.url}/slow-calls`, 15_000)).status, 200);
    const entries = await eventually(
      'the slow calls and their request',
      async () => {
        const found = await slowEntries(client, appName);
        return found.length >= 4 ? found : undefined;
      },
      5_000,
    );
    const calls = entries.filter((e) => e.kind !== 'request');
    assert.deepEqual(
      calls.map((e) => [e.kind, e.name]),
      [
        ['query', 'SELECT email, pg_sleep(?) FROM customers WHERE email = ? AND card = ?'],
        ['query', 'blpop pulse-test-queue ?'],
        ['outgoing', `GET 127.0.0.1:${slowPort}/path/:id`],
      ],
    );
    assert.deepEqual(
      entries.filter((e) => e.kind === 'request').map((e) => e.name),
      ['GET'],
      'and the request that made them',
    );
    assert.equal(calls[2]?.status, 200);
    for (const { name, host, duration_ms } of calls) {
      assert.ok(duration_ms >= 1_000, `${name}: ${duration_ms} ms`);
      assert.ok(host?.cpu_usage !== undefined && host.memory_rss !== undefined && host.memory_heap !== undefined, `${name} has a host`);
    }
    // By the Redis command (1.1 s into the request) the host's state has been taken with the request in flight.
    assert.ok((calls[1]?.host?.requests_in_flight ?? 0) >= 1);
    assert.ok((calls[2]?.host?.requests_in_flight ?? 0) >= 1);

    assert.equal((await get(`${app.url}/slow-http-request`, 15_000)).status, 200);
    const outgoing = await eventually(
      'the slow http.request',
      async () => (await slowEntries(client, appName)).find((e) => e.name.includes('/orders/')),
      5_000,
    );
    assert.equal(outgoing.kind, 'outgoing');
    assert.equal(outgoing.name, `GET 127.0.0.1:${slowPort}/orders/:id/items`);
  });

  it('says which instrumentations it loaded, in one diag line', { skip: OTEL3_LEG_ZERO_CODE }, () => {
    assert.match(app.stdout(), /\[pulse\] zero-code instrumentations: http, express, pg, ioredis, undici\n/);
  });

  it('records every query at a 0 ms threshold, and none of the commands Pulse sends to its own Redis', async () => {
    const appName = uniqueApp('zero-code-every-query');
    const app = await startApp(appName, { PULSE_QUERY_THRESHOLD_MS: '0', PULSE_INTERVAL_MS: '200' });
    assert.equal((await get(`${app.url}/fast-redis`)).status, 200);
    await eventually(
      "the app's own Redis command",
      async () => (await slowEntries(client, appName)).some((e) => e.kind === 'query' && e.name === 'get fast-key'),
      5_000,
    );
    await sleep(1_000); // heartbeats every 200 ms, flushes every 100 ms: Pulse keeps writing meanwhile
    const queries = (await slowEntries(client, appName)).filter((e) => e.kind === 'query').map((e) => e.name);
    assert.ok(queries.includes('INSERT INTO customers (email, card) VALUES (?, ?)'), queries.join('\n'));
    assert.deepEqual(
      queries.filter((name) => name.includes('pulse:')),
      [],
      'no command on a Pulse key became a span',
    );
  });

  it('has no value of any query anywhere in Redis: no card number, no e-mail address', async () => {
    const everything = await everyKeyAndValue(client);
    assert.match(everything, /SELECT email, pg_sleep\(\?\) FROM customers/, 'the queries are there, by name');
    for (const secret of [CARD, EMAIL, EMAIL.split('@')[0] as string]) {
      assert.ok(!everything.includes(secret), `${secret} is in Redis`);
    }
  });
});
