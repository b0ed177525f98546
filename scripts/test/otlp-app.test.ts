// Issue 25's acceptance, end to end: a process with no Pulse code (OpenTelemetry's SDK, its OTLP exporters and
// @opentelemetry/host-metrics: bridge/test/fixtures/otlp-app) reports to the bridge's OTLP receiver (PULSE_OTLP=1) of
// the demo stack. Its server, its slow requests by route (and the slow query and outgoing request under them) and its
// exceptions then show on the page (Chromium) and in the Grafana panels' queries on a real Prometheus scraping that
// bridge; what host-metrics does not send (disks, load) is absent there, never 0.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { eventually, launchChromium, skipWithoutChromium, type TestBrowser, which } from '@gravito/pulse-testkit';
import { startOtlpApp } from '../../bridge/test/fixtures/otlp-app/launch.js';
import { loadDashboards, panelQueries } from '../../grafana/test/dashboard-model.js';
import { escapeRegex, expand, instantSeries, type PromSeries } from '../../grafana/test/prometheus-api.js';
import type { Child } from '../demo/processes.js';
import { type Stack, startStack } from '../demo/stack.js';

const SCRAPE_SECONDS = 1;
const APP = `otlp-app-${randomBytes(3).toString('hex')}`;
const SERVER = 'web-1';
const ROUTE = '/orders/:id';
const STATEMENT = 'SELECT * FROM cards WHERE number = ? AND owner_id = ?';
const OUTGOING = 'POST payments.example.com/v1/cards/:id/charges';

const skip =
  skipWithoutChromium() || (which('prometheus') ? false : 'prometheus is not on PATH (apt-get install -y prometheus; .ci/run installs it)');

describe('an app with only OpenTelemetry (no Pulse code), through OTLP, on the page and in the Grafana panels', { skip }, () => {
  let stack: Stack;
  let app: Child;
  let browser: TestBrowser;
  let startedAt = 0;

  before(async () => {
    startedAt = Date.now();
    stack = await startStack({
      bridgePort: 0,
      appPort: 0,
      prometheusPort: 0,
      scrapeIntervalSeconds: SCRAPE_SECONDS,
      traffic: false,
      env: { PULSE_OTLP: '1', PULSE_STREAM_INTERVAL_MS: '1000', PULSE_LOG_LEVEL: 'warn' },
    });
    app = startOtlpApp({
      endpoint: stack.bridgeUrl,
      service: APP,
      instance: SERVER,
      encoding: 'proto',
      gzip: true,
      exportIntervalMs: 2_000,
    });
    await app.waitForLine(/^ready$/, 20_000);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await app?.stop();
    await stack?.stop();
  });

  it('shows its server, slow requests by route, slow query and outgoing request, and exceptions on the page', async () => {
    const { page, log } = await browser.open({ width: 1280, height: 900 });
    try {
      await page.goto(`${stack.bridgeUrl}/?app=${APP}`);
      const section = `#app-${APP}`;
      const text = async (selector: string) => ((await page.locator(selector).allTextContents()) ?? []).join(' ');
      const server = page.locator(`${section} .card.server`, { has: page.locator(`h4:text-is("${SERVER}")`) });
      await eventually('the server card', async () => (await server.count()) === 1, 30_000);
      assert.equal(await page.locator(`${section} .card.server.is-lost`).count(), 0, 'online, not lost');
      await eventually('the slow request by route', async () => (await text(`${section} .card.slow`)).includes(`GET ${ROUTE}`), 20_000);
      assert.ok(!(await text(`${section} .card.slow`)).includes('/health'), 'a fast route is never slow');
      await eventually('the slow query', async () => (await text(`${section} .card.slow-queries`)).includes(STATEMENT), 20_000);
      await eventually('the slow outgoing request', async () => (await text(`${section} .card.slow-outgoing`)).includes(OUTGOING), 20_000);
      await eventually('the exception', async () => (await text(`${section} .card.errors`)).includes('TypeError'), 20_000);
      // host-metrics sends no load average: the card says so rather than showing 0.
      assert.match(await text(`${section} .card.server`), /not reported/);
      assert.ok(!(await text('body')).includes('4111 1111'), 'no literal of a query on the page');
      assert.deepEqual(log.errors, []);
    } finally {
      await page.close();
    }
  });

  it('answers the Grafana panels’ queries on Prometheus: server, slow requests by route, exceptions', async () => {
    const queries = loadDashboards().flatMap(({ model }) => panelQueries(model));
    const panel = (title: string) => {
      const found = queries.filter((q) => q.panel === title);
      assert.ok(found.length > 0, `a panel titled ${title}`);
      return found;
    };
    const vars = { app: escapeRegex(APP), server: escapeRegex(SERVER), mount: '.*' };
    const run = async (title: string): Promise<PromSeries[][]> =>
      Promise.all(panel(title).map((q) => instantSeries(stack.prometheusUrl, expand(q.expr, vars, startedAt, SCRAPE_SECONDS))));
    /** Each query of the panel returns series, and `check` holds for every series. */
    const answers = async (title: string, check: (s: PromSeries) => boolean = () => true) =>
      (await run(title)).every((series) => series.length > 0 && series.every(check));
    const positive = (s: PromSeries) => Number(s.value[1]) > 0;

    await eventually(
      'the server in Status, Servers online, CPU, RAM and Identity',
      async () =>
        (await answers('Status', (s) => s.value[1] === '1' && s.metric.server === SERVER)) &&
        (await answers('Servers online', positive)) &&
        (await answers('CPU')) &&
        (await answers('RAM', positive)) &&
        (await answers('Identity', (s) => s.metric.runtime === 'node')),
      30_000,
    );
    await eventually(
      'slow requests by route, and the slow query and outgoing request by name',
      async () =>
        (await answers('Slow requests and jobs: top 10', (s) => s.metric.route === ROUTE && s.metric.method === 'GET' && positive(s))) &&
        (await answers('Slow queries: top 10', (s) => s.metric.route === STATEMENT && positive(s))) &&
        (await answers('Slow outgoing requests: top 10', (s) => s.metric.route === OUTGOING && positive(s))),
      30_000,
    );
    await eventually(
      'exceptions by type',
      async () =>
        (await answers('Exceptions', (s) => s.metric.type === undefined || s.metric.type === 'TypeError')) &&
        (await answers('Exceptions per second by type', (s) => s.metric.type === 'TypeError')),
      30_000,
    );
    // What host-metrics does not send is absent in Prometheus too, never 0.
    for (const title of ['Disks', 'Load average']) {
      for (const series of await run(title)) assert.deepEqual(series, [], `${title}: no series`);
    }
  });
});
