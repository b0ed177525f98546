// /metrics for the slow kinds of GPP 1.1 (issue 24): slow queries and slow outgoing requests are counted, timed and
// kept slowest-per-name like requests, under label caps in count (per app and kind) and in bytes, on a real Redis.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type SlowEntry, slowKey, slowStreamFields } from '@gravito/pulse-protocol';
import { run, startRedis, type TestRedis } from '@gravito/pulse-testkit';
import type { Redis } from 'ioredis';
import { manualMetrics, manualMonitor, slowEntry, startBridgeSeeing, waitFor, writeHeartbeat } from './helpers.js';

const COUNTER = 'pulse_slow_entries_total';
const GAUGE = 'pulse_slow_route_max_duration_seconds';

/** A normalized statement at the protocol's 256-character limit, with the characters a label value must escape. */
const LONG_STATEMENT = `SELECT "orders"."id" FROM "orders" WHERE "orders"."email" = ? AND ${'"a" = ? AND '.repeat(17)}"z" = ?`.slice(
  0,
  256,
);

/** A slow query: no route, method or status (the vector's request fields are dropped). */
function query(name: string, durationMs: number): SlowEntry {
  const { route: _route, method: _method, status: _status, ...base } = slowEntry({ kind: 'query', name, duration_ms: durationMs });
  return base;
}

function outgoing(name: string, durationMs: number): SlowEntry {
  const { route: _route, ...base } = slowEntry({
    kind: 'outgoing',
    name,
    method: name.split(' ')[0],
    status: 200,
    duration_ms: durationMs,
  });
  return base;
}

async function add(client: Redis, app: string, entry: SlowEntry): Promise<void> {
  await client.xadd(slowKey(app), '*', ...slowStreamFields(entry));
}

/** prom-client's escaping of a label value in the text format. */
function escaped(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"');
}

/** Every sample of a family for one app, as `kind method route` → value (label values unescaped). */
function samples(text: string, family: string, app: string): Map<string, number> {
  const out = new Map<string, number>();
  const line = new RegExp(`^${family}\\{app="${app}",kind="([a-z]+)",method="([A-Za-z]+)",route="((?:[^"\\\\]|\\\\.)*)"\\} (\\S+)$`, 'gm');
  for (const m of text.matchAll(line)) {
    const route = (m[3] as string).replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c));
    out.set(`${m[1]} ${m[2]} ${route}`, Number(m[4]));
  }
  return out;
}

describe('/metrics for slow queries and slow outgoing requests', () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  it('counts them and keeps the slowest per name, each kind under its own route cap', async () => {
    const app = 'slow-kinds-metrics';
    const client = redis.client();
    const bridge = await startBridgeSeeing(redis, app, { metricsMaxRoutes: 2 });
    try {
      const outgoingName = 'GET 127.0.0.1:8080/users/:id';
      const entries = [
        query(LONG_STATEMENT, 1_500),
        query(LONG_STATEMENT, 2_500),
        query('SELECT pg_sleep(?)', 1_200),
        // A third statement is past the cap of 2 queries: `other`, counted once.
        query('DELETE FROM sessions WHERE expires < ?', 4_000),
        outgoing(outgoingName, 3_000),
        outgoing(outgoingName, 1_100),
        // Requests keep their own 2 places, whatever the queries took.
        slowEntry({ route: '/a', name: 'GET /a', duration_ms: 1_300 }),
        slowEntry({ route: '/b', name: 'GET /b', duration_ms: 1_400 }),
      ];
      for (const entry of entries) await add(client, app, entry);
      const text = await waitFor(
        async () => {
          const body = await (await fetch(`${bridge.url}/metrics`)).text();
          const total = [...samples(body, COUNTER, app).values()].reduce((n, c) => n + c, 0);
          return total === entries.length ? body : undefined;
        },
        5_000,
        'every entry counted',
      );

      assert.deepEqual(
        samples(text, COUNTER, app),
        new Map([
          [`query none ${LONG_STATEMENT}`, 2],
          ['query none SELECT pg_sleep(?)', 1],
          ['query none other', 1],
          [`outgoing GET ${outgoingName}`, 2],
          ['request GET /a', 1],
          ['request GET /b', 1],
        ]),
      );
      assert.deepEqual(
        samples(text, GAUGE, app),
        new Map([
          [`query none ${LONG_STATEMENT}`, 2.5],
          ['query none SELECT pg_sleep(?)', 1.2],
          ['query none other', 4],
          [`outgoing GET ${outgoingName}`, 3],
          ['request GET /a', 1.3],
          ['request GET /b', 1.4],
        ]),
      );
      // The full 256 characters reach the label, escaped as the text format wants.
      assert.ok(text.includes(`route="${escaped(LONG_STATEMENT)}"`));
      assert.equal(LONG_STATEMENT.length, 256);
      for (const [kind, count] of [
        ['query', 4],
        ['outgoing', 2],
        ['request', 2],
      ] as const)
        assert.match(text, new RegExp(`\npulse_slow_entry_duration_seconds_count\\{app="${app}",kind="${kind}"\\} ${count}\n`));
      assert.match(text, /\npulse_bridge_label_overflow_total\{label="route"\} 1\n/);
      await run('promtool', ['check', 'metrics'], { input: text });
    } finally {
      await bridge.stop();
    }
  });

  it('caps the bytes of route labels in all: long names past the budget become other, counted', async () => {
    const app = 'slow-kinds-bytes';
    const client = redis.client();
    await writeHeartbeat(client, app, 'web-1');
    const { monitor, close } = await manualMonitor(redis.url);
    // Room for two 256-byte statements, not three; the count cap (100) is far away.
    const metrics = manualMetrics(monitor, { maxRoutesPerApp: 100, maxRouteBytes: 600 });
    try {
      await monitor.tick(); // finds the app; its slow stream is followed from the next tick
      const statements = ['a', 'b', 'c'].map((table) => `SELECT * FROM ${table} WHERE ${'x = ? AND '.repeat(30)}`.slice(0, 256));
      for (const statement of statements) await add(client, app, query(statement, 2_000));
      await add(client, app, query(statements[0] as string, 3_000));
      await monitor.tick();
      const text = await metrics.scrape();
      assert.deepEqual(
        samples(text, COUNTER, app),
        new Map([
          [`query none ${statements[0]}`, 2],
          [`query none ${statements[1]}`, 1],
          ['query none other', 1],
        ]),
      );
      assert.match(text, /\npulse_bridge_label_overflow_total\{label="route"\} 1\n/);
      await run('promtool', ['check', 'metrics'], { input: text });
    } finally {
      metrics.close();
      await close();
    }
  });
});
