// Issue 24's acceptance, end to end: a zero-code ES module app (`node --import @gravito/pulse-node/register`, no
// OpenTelemetry or Pulse in its code) runs a slow SQL query on a private PostgreSQL, a slow Redis command on a second
// redis-server and a slow fetch to a local HTTP server. It gets three entries (query, query, outgoing), named by the
// normalized statement and `GET 127.0.0.1:PORT/path/:id`, each with the host snapshot, and no literal of the SQL (a
// card number, an e-mail address) anywhere in Redis. Then they show on the page (Chromium), in the bridge's /metrics,
// and in the Grafana panels' queries on a real Prometheus scraping that bridge (the demo stack's).
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseSlowStreamFields, type SlowEntry, slowKey } from '@gravito/pulse-protocol';
import {
  eventually,
  everyKeyAndValue,
  launchChromium,
  skipWithoutChromium,
  skipWithoutPostgres,
  startPostgres,
  startRedis,
  type TestBrowser,
  type TestPostgres,
  type TestRedis,
  which,
} from '@gravito/pulse-testkit';
import { Redis } from 'ioredis';
import { loadDashboards, panelQueries } from '../../grafana/test/dashboard-model.js';
import { escapeRegex, expand, instantSeries } from '../../grafana/test/prometheus-api.js';
import { Child } from '../demo/processes.js';
import { ROOT, type Stack, startStack } from '../demo/stack.js';

/** The app of exporter/test/client-spans.test.ts: one route makes the three slow calls. */
const CLIENTS_APP = fileURLToPath(new URL('../../exporter/test/fixtures/client-spans-app.mjs', import.meta.url));
const SCRAPE_SECONDS = 1;
const APP = `slow-clients-${randomBytes(3).toString('hex')}`;
const STATEMENT = 'SELECT email, pg_sleep(?) FROM customers WHERE email = ? AND card = ?';
const REDIS_COMMAND = 'blpop pulse-test-queue ?';

const skip =
  skipWithoutPostgres() ||
  skipWithoutChromium() ||
  (which('prometheus') ? false : 'prometheus is not on PATH (apt-get install -y prometheus; .ci/run installs it)');

/** The text format's escaping of a label value. */
function labelValue(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

describe('slow queries and outgoing requests of a zero-code app, from Redis to the page, /metrics and Grafana', { skip }, () => {
  let postgres: TestPostgres;
  let cacheRedis: TestRedis;
  let slowServer: Server;
  let stack: Stack;
  let app: Child;
  let appUrl: string;
  let redis: Redis;
  let browser: TestBrowser;
  let startedAt = 0;
  let outgoingName = '';
  // Random, so that finding one anywhere can only mean it leaked.
  const CARD = `4${randomInt(1e6, 1e7)}${randomInt(1e7, 1e8)}`;
  const EMAIL = `jane.${randomInt(1e9)}@example.com`;

  before(async () => {
    // The app's own Redis is a second server (faults: never a shared REDIS_URL one), beside the stack's private one.
    [postgres, cacheRedis] = await Promise.all([startPostgres(), startRedis({ faults: true })]);
    slowServer = createServer((_req, res) => setTimeout(() => res.end('slow'), 1_100));
    await new Promise<void>((resolve) => slowServer.listen(0, '127.0.0.1', resolve));
    const slowPort = (slowServer.address() as AddressInfo).port;
    outgoingName = `GET 127.0.0.1:${slowPort}/path/:id`;
    startedAt = Date.now();
    stack = await startStack({
      bridgePort: 0,
      appPort: 0,
      prometheusPort: 0,
      scrapeIntervalSeconds: SCRAPE_SECONDS,
      traffic: false,
      env: { PULSE_STREAM_INTERVAL_MS: '1000', PULSE_LOG_LEVEL: 'warn' },
    });
    redis = new Redis(stack.redisUrl, { maxRetriesPerRequest: 1 });
    app = new Child('clients-app', process.execPath, ['--import', '@gravito/pulse-node/register', CLIENTS_APP], {
      cwd: ROOT,
      env: {
        ...process.env,
        OTEL_SERVICE_NAME: APP,
        REDIS_URL: stack.redisUrl,
        DATABASE_URL: postgres.url,
        CACHE_REDIS_URL: cacheRedis.url,
        SLOW_SERVER_URL: `http://127.0.0.1:${slowPort}`,
        CARD,
        EMAIL,
        PULSE_INTERVAL_MS: '1000',
        PULSE_FLUSH_INTERVAL_MS: '100',
      },
    });
    appUrl = (await app.waitForLine(/listening on (http:\/\/\S+)/, 30_000))[1] as string;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await app?.stop();
    redis?.disconnect();
    await stack?.stop();
    slowServer?.close();
    await Promise.all([cacheRedis?.stop(), postgres?.stop()]);
  });

  it('writes query, query and outgoing, named without values, each with the host; no literal anywhere in Redis', async () => {
    const res = await fetch(`${appUrl}/slow-calls`, { signal: AbortSignal.timeout(15_000) });
    assert.equal(res.status, 200, `${await res.text()}\n${app.recentOutput}`);
    const calls = await eventually(
      'the three slow calls',
      async () => {
        const entries = (await redis.xrange(slowKey(APP), '-', '+')).map(([, fields]) => parseSlowStreamFields(fields));
        const found = entries.flatMap((e) => (e.ok && e.value.kind !== 'request' ? [e.value] : []));
        return found.length >= 3 ? found : undefined;
      },
      5_000,
    );
    assert.deepEqual(
      calls.map((e: SlowEntry) => [e.kind, e.name]),
      [
        ['query', STATEMENT],
        ['query', REDIS_COMMAND],
        ['outgoing', outgoingName],
      ],
    );
    for (const { name, host } of calls) {
      assert.ok(host?.cpu_usage !== undefined && host.event_loop_delay_p99_ms !== undefined, `${name}: CPU and loop p99`);
      assert.ok(host.memory_heap !== undefined && host.memory_rss !== undefined, `${name}: heap and RSS`);
    }
    const everything = await everyKeyAndValue(redis);
    assert.ok(everything.includes('pg_sleep(?)'), 'the statement is there, by its name');
    for (const literal of [CARD, EMAIL, EMAIL.split('@')[0] as string]) assert.ok(!everything.includes(literal), `${literal} is in Redis`);
  });

  it('shows them on the page, grouped, with the host at that moment', async () => {
    const { page, log } = await browser.open({ width: 1280, height: 900 });
    try {
      await page.goto(`${stack.bridgeUrl}/?app=${APP}`);
      const queries = page.locator(`#app-${APP} .card.slow-queries`);
      const outgoing = page.locator(`#app-${APP} .card.slow-outgoing`);
      await eventually('the query rows', async () => (await queries.locator('tbody tr').count()) === 2, 15_000);
      const names = await queries.locator('tbody th > bdi').allTextContents();
      assert.deepEqual(new Set(names), new Set([STATEMENT, REDIS_COMMAND]));
      assert.equal(await outgoing.locator('tbody tr').count(), 1);
      assert.equal(await outgoing.locator('tbody th > bdi').textContent(), outgoingName);
      for (const card of [queries, outgoing]) {
        for (const text of await card.locator('.host-state').allTextContents())
          assert.match(text, /^CPU\s[\d.]+\s%, loop\sp99\s[\d.]+\s(ms|s), heap\s.+ at that moment$/);
        assert.equal(await card.locator('.host-state').count(), await card.locator('tbody tr').count(), 'a snapshot beside each');
      }
      const pageText = (await page.locator('body').textContent()) ?? '';
      for (const literal of [CARD, EMAIL]) assert.ok(!pageText.includes(literal), `${literal} on the page`);
      assert.deepEqual(log.errors, []);
    } finally {
      await page.close();
    }
  });

  it("counts them in /metrics, with each name's slowest", async () => {
    const series = [
      ['query', 'none', STATEMENT],
      ['query', 'none', REDIS_COMMAND],
      ['outgoing', 'GET', outgoingName],
    ].map(([kind, method, name]) => `{app="${APP}",kind="${kind}",method="${method}",route=${labelValue(name as string)}}`);
    // The page may show an entry before the bridge's poll has counted it (its first load reads the stream itself).
    const text = await eventually(
      'a poll that counted all three',
      async () => {
        const scraped = await (await fetch(`${stack.bridgeUrl}/metrics`)).text();
        return series.every((labels) => scraped.includes(`pulse_slow_entries_total${labels} `)) ? scraped : undefined;
      },
      10_000,
    );
    for (const labels of series) {
      assert.ok(text.includes(`pulse_slow_entries_total${labels} 1\n`), `counted: ${labels}`);
      const slowest = text.match(new RegExp(`^pulse_slow_route_max_duration_seconds${escapeRegex(labels)} (\\S+)$`, 'm'));
      assert.ok(slowest && Number(slowest[1]) >= 1, `slowest: ${labels}`);
    }
    for (const literal of [CARD, EMAIL]) assert.ok(!text.includes(literal), `${literal} in /metrics`);
  });

  it("returns them from the Slow queries and Slow outgoing requests panels' queries on Prometheus", async () => {
    const panels = loadDashboards()
      .flatMap(({ model }) => panelQueries(model))
      .filter((q) => q.panel === 'Slow queries: top 10' || q.panel === 'Slow outgoing requests: top 10');
    assert.equal(panels.length, 4, 'a count and a slowest query in each panel');
    // A counter's first sample is its start, not an increase: the panels' counts grow from the second round of calls.
    await eventually(
      'a scrape of the first round',
      async () => (await instantSeries(stack.prometheusUrl, `pulse_slow_entries_total{app="${APP}"}`)).length >= 3,
      15_000,
    );
    assert.equal((await fetch(`${appUrl}/slow-calls`, { signal: AbortSignal.timeout(15_000) })).status, 200);
    const vars = { app: escapeRegex(APP), server: '.*', mount: '.*' };
    const want = new Map([
      ['Slow queries: top 10', [STATEMENT, REDIS_COMMAND].sort()],
      ['Slow outgoing requests: top 10', [outgoingName]],
    ]);
    await eventually(
      'every panel query answering with the names',
      async () => {
        for (const q of panels) {
          const series = await instantSeries(stack.prometheusUrl, expand(q.expr, vars, startedAt, SCRAPE_SECONDS));
          const routes = series.map((s) => s.metric.route).sort();
          if (JSON.stringify(routes) !== JSON.stringify(want.get(q.panel))) return false;
          if (!series.every((s) => Number(s.value[1]) > 0)) return false;
        }
        return true;
      },
      30_000,
    );
  });
});
