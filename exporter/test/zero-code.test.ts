import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { errorsKey, parseErrorMember, parseHeartbeat, parseSlowStreamFields, slowKey } from '@gravito/pulse-protocol';
import { startRedis, type TestRedis } from '@gravito/pulse-testkit';
import type { Redis } from 'ioredis';
import {
  type AppProcess,
  get,
  NEEDS_REGISTER_ENTRY,
  OTEL3_LEG_ZERO_CODE,
  sleep,
  startNode,
  uniqueApp,
  waitFor,
  ZERO_CODE_EXAMPLES,
} from './helpers.js';

// The zero-code entry as a user runs it: a plain Express app (no OpenTelemetry, no Pulse in its
// code) started with `node --import @gravito/pulse-node/register` (ES module) or `--require`
// (CommonJS), configured by environment variables only; real HTTP, real Redis.

const cases = [
  { kind: 'ES module', args: ['--import', '@gravito/pulse-node/register', 'app.mjs'] },
  { kind: 'CommonJS', args: ['--require', '@gravito/pulse-node/register', 'app.cjs'] },
];

/** Lines the app wrote to stderr that come from Pulse. */
const pulseLines = (stderr: string) => stderr.split('\n').filter((line) => /pulse/i.test(line));

const nodeOnly = { skip: NEEDS_REGISTER_ENTRY };

for (const { kind, args } of cases) {
  describe(`zero-code setup, ${kind} app (${args.slice(0, 2).join(' ')})`, nodeOnly, () => {
    let redis: TestRedis;
    let client: Redis;
    let app: AppProcess;
    const appName = uniqueApp('zero-code');

    before(async () => {
      redis = await startRedis();
      client = redis.client();
      app = await startNode(
        args,
        { OTEL_SERVICE_NAME: appName, REDIS_URL: redis.url, PULSE_INTERVAL_MS: '500', PULSE_FLUSH_INTERVAL_MS: '100' },
        ZERO_CODE_EXAMPLES,
      );
    });
    after(async () => {
      await app?.stop();
      await redis?.stop();
    });

    it('names the slow entry by its route template and writes the exception', async () => {
      assert.equal((await get(`${app.url}/slow/7?ms=1050`)).status, 200);
      assert.equal((await get(`${app.url}/error`)).status, 500);
      const slow = await waitFor('a slow entry', async () => (await client.xrange(slowKey(appName), '-', '+'))[0], 3_000);
      const entry = parseSlowStreamFields(slow[1]);
      assert.ok(entry.ok, entry.ok ? '' : entry.error);
      assert.equal(entry.value.name, 'GET /slow/:id');
      assert.equal(entry.value.route, '/slow/:id');
      const member = await waitFor('an error member', async () => (await client.zrange(errorsKey(appName), '0', '-1'))[0], 3_000);
      const error = parseErrorMember(member);
      assert.ok(error.ok, error.ok ? '' : error.error);
      assert.equal(error.value.type, 'TypeError');
      assert.equal(error.value.message, 'zero-code failure from /error');
      assert.equal(error.value.route, '/error');
    });

    it('records requests whose traceparent says "not sampled" too (the entry installs recordUnsampled)', async () => {
      const traceId = randomBytes(16).toString('hex');
      const headers = { traceparent: `00-${traceId}-00f067aa0ba902b7-00` };
      const status = (path: string) =>
        fetch(`${app.url}${path}`, { headers, signal: AbortSignal.timeout(5_000) }).then((res) => res.status);
      assert.equal(await status('/slow/8?ms=1010'), 200);
      assert.equal(await status('/error'), 500);
      const entries = async () => (await client.xrange(slowKey(appName), '-', '+')).map(([, fields]) => parseSlowStreamFields(fields));
      const slow = await waitFor(
        'the unsampled slow entry',
        async () => (await entries()).find((e) => e.ok && e.value.trace_id === traceId),
        3_000,
      );
      assert.equal(slow.ok && slow.value.name, 'GET /slow/:id');
      const errors = async () => (await client.zrange(errorsKey(appName), '0', '-1')).map(parseErrorMember);
      const error = await waitFor(
        'the unsampled exception',
        async () => (await errors()).find((e) => e.ok && e.value.trace_id === traceId),
        3_000,
      );
      assert.equal(error.ok && error.value.route, '/error');
    });

    it('writes heartbeats named by OTEL_SERVICE_NAME, at PULSE_INTERVAL_MS', async () => {
      const key = await waitFor('a heartbeat', async () => (await client.keys(`pulse:server:${appName}:*`))[0], 3_000);
      const hb = parseHeartbeat(await client.get(key));
      assert.ok(hb.ok, hb.ok ? '' : hb.error);
      assert.equal(hb.value.meta.app_name, appName);
      assert.equal(hb.value.meta.interval_ms, 500);
    });

    it('SIGTERM shuts down (the last heartbeat says stopped) and ends the process as it would without Pulse', async () => {
      await app.stop();
      assert.equal(app.child.signalCode, 'SIGTERM', `exit code ${app.child.exitCode}`);
      assert.deepEqual(pulseLines(app.stderr()), []);
      const [key] = await client.keys(`pulse:server:${appName}:*`);
      const last = parseHeartbeat(await client.get(key as string));
      assert.ok(last.ok, last.ok ? '' : last.error);
      assert.equal(last.value.state, 'stopped');
    });
  });
}

describe('loud once: unknown service name, Redis unreachable (default settings, diag off)', nodeOnly, () => {
  let redis: TestRedis;
  let client: Redis;
  let app: AppProcess;

  before(async () => {
    redis = await startRedis({ faults: true });
    client = redis.client();
    // No OTEL_SERVICE_NAME, no OTEL_LOG_LEVEL; a short interval so that many intervals pass quickly.
    app = await startNode(
      ['--import', '@gravito/pulse-node/register', 'app.mjs'],
      { OTEL_SERVICE_NAME: undefined, OTEL_LOG_LEVEL: undefined, REDIS_URL: redis.url, PULSE_INTERVAL_MS: '200' },
      ZERO_CODE_EXAMPLES,
    );
  });
  after(async () => {
    await app?.stop();
    await redis?.stop();
  });

  const heartbeatAfter = (since: number) =>
    waitFor(
      'a fresh heartbeat',
      async () => {
        const [key] = await client.keys('pulse:server:unknown_service*');
        const raw = key ? await client.get(key) : null;
        return raw && JSON.parse(raw).timestamp > since ? true : undefined;
      },
      8_000,
    );

  it('says once that service.name is unknown', async () => {
    await heartbeatAfter(0);
    const lines = pulseLines(app.stderr());
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0] as string, /service\.name is unknown .*OTEL_SERVICE_NAME/);
  });

  it('one stderr line per Redis outage, however many intervals it lasts; no stack traces', async () => {
    for (const outage of [1, 2]) {
      await redis.kill();
      await sleep(3_000); // 15 intervals
      const unreachable = pulseLines(app.stderr()).filter((line) => /Redis is unreachable/.test(line));
      assert.equal(unreachable.length, outage, app.stderr());
      const since = Date.now();
      await redis.restart();
      await heartbeatAfter(since);
    }
    assert.equal(pulseLines(app.stderr()).length, 3, app.stderr());
    assert.doesNotMatch(app.stderr(), /PeriodicExportingMetricReader|\n\s+at /);
  });
});

describe('diag on (OTEL_LOG_LEVEL=info): each Redis outage is said once, and so is each return', {
  skip: NEEDS_REGISTER_ENTRY || OTEL3_LEG_ZERO_CODE,
}, () => {
  let redis: TestRedis;
  let app: AppProcess;
  const appName = uniqueApp('diag-outages');

  before(async () => {
    redis = await startRedis({ faults: true });
    app = await startNode(
      ['--import', '@gravito/pulse-node/register', 'app.mjs'],
      { OTEL_SERVICE_NAME: appName, OTEL_LOG_LEVEL: 'info', REDIS_URL: redis.url, PULSE_INTERVAL_MS: '200' },
      ZERO_CODE_EXAMPLES,
    );
    // Connected once before the first outage: a first connection made after it is not a return.
    const client = redis.client();
    await waitFor('a first heartbeat', async () => ((await client.keys(`pulse:server:${appName}:*`)).length > 0 ? true : undefined), 8_000);
  });
  after(async () => {
    await app?.stop();
    await redis?.stop();
  });

  it('"Redis is unreachable" and "Redis is back" once per outage, over two outages', async () => {
    const count = (pattern: RegExp) => pulseLines(`${app.stdout()}\n${app.stderr()}`).filter((line) => pattern.test(line)).length;
    for (const outage of [1, 2]) {
      await redis.kill();
      await waitFor('the outage said', async () => (count(/Redis is unreachable/) === outage ? true : undefined), 5_000);
      await redis.restart();
      await waitFor('the return said', async () => (count(/Redis is back/) === outage ? true : undefined), 10_000);
    }
    await sleep(1_000); // 5 intervals with Redis up: nothing more is said
    assert.equal(count(/Redis is unreachable/), 2, app.stderr());
    assert.equal(count(/Redis is back/), 2, app.stdout());
  });
});
