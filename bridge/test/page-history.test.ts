// The Pulse page's period views in a real headless Chromium, against a real bridge counting history into a real
// Redis: slow entries, exceptions and heartbeats are written as an SDK writes them, the bridge's history writer
// aggregates them into buckets (shortened by its time scale), and the page, switched to 1 h, must show what the
// history route reads back from Redis, with one CPU point per elapsed bucket; the period stays in the address.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { errorMember, type HistoryResponse, heartbeatKey, slowKey, slowStreamFields } from '@gravito/pulse-protocol';
import { launchChromium, type PageLog, skipWithoutChromium, startRedis, type TestBrowser, type TestRedis } from '@gravito/pulse-testkit';
import type { Page } from 'playwright-core';
import { errorEntry, getJson, heartbeat, slowEntry, startBridge, waitFor } from './helpers.js';
import { periodHealthLine, periodServerLine, periodSlowRows } from './period-page.js';

const INTERVAL_MS = 250;
const HEARTBEAT_INTERVAL_MS = 200;
/** History's time scale: the 1 h period lasts 2 min, in 2 s buckets. */
const TIME_SCALE = 30;
const BUCKET_MS = 2_000;
/** Exceptions are counted once the bridge's clock is this far past their score (the default 10 s, shortened). */
const SETTLE_MS = 1_000;
/** Heartbeats are written this long: a few buckets of CPU. */
const HEARTBEATS_FOR_MS = 9_000;
/** web-3 sends none between these (from the first heartbeat): lost after 3 × 200 ms, it leaves at least one whole bucket without data. */
const GAP_FROM_MS = 2_500;
const GAP_TO_MS = 7_500;

const XSS_ROUTE = 'GET /<img src=x onerror="window.__pulseXss=1">';
const XSS_TYPE = '<script>window.__pulseXss=2</script>';
const LONG_ROUTE = `GET /${'very-long-segment/'.repeat(13)}end`;

/**
 * What the test writes, per group: the durations of a slow group's entries and the row the page must show for it
 * (count, slowest, average); an exception's servers, one occurrence each.
 */
const SLOW: { kind: 'request' | 'job'; name: string; durations: number[]; row: string[] }[] = [
  { kind: 'request', name: 'GET /orders/:id', durations: [1500, 2500, 2000, 1000, 3000], row: ['5', '3.00 s', '2.00 s'] },
  { kind: 'request', name: XSS_ROUTE, durations: [1200, 1800], row: ['2', '1.80 s', '1.50 s'] },
  { kind: 'request', name: LONG_ROUTE, durations: [4000], row: ['1', '4.00 s', '4.00 s'] },
  { kind: 'job', name: 'SendInvoice', durations: [6000, 2000, 4000], row: ['3', '6.00 s', '4.00 s'] },
];
const EXCEPTIONS: { fingerprint: string; type: string; message: string; servers: string[] }[] = [
  {
    fingerprint: 'f00d0001',
    type: 'TypeError',
    message: "Cannot read properties of undefined (reading 'id')",
    servers: ['web-1', 'web-2', 'web-1', 'web-1'],
  },
  { fingerprint: 'f00d0002', type: XSS_TYPE, message: '<img src=x onerror="window.__pulseXss=3">', servers: ['web-2'] },
];

const skip = skipWithoutChromium();

async function textOf(page: Page, selector: string): Promise<string[]> {
  return (await page.locator(selector).allTextContents()).map((t) => t.replaceAll('\u00a0', ' '));
}

/** No markup from the data ran or was created: no probe on window, no <img>, nothing on the console, no dialog. */
async function assertNoScriptRan(page: Page, log: PageLog): Promise<void> {
  assert.equal(await page.evaluate('typeof window.__pulseXss'), 'undefined');
  assert.equal(await page.locator('img').count(), 0);
  assert.equal(await page.locator('script').count(), 1, 'only the page bundle');
  assert.deepEqual(log.dialogs, []);
  assert.deepEqual(log.errors, []);
}

describe('the period views of the Pulse page in Chromium', { skip }, () => {
  const app = `ph-${randomBytes(4).toString('hex')}`;
  let redis: TestRedis;
  let browser: TestBrowser;
  let bridge: { url: string; stop: () => Promise<void> };
  let history: HistoryResponse;
  let heartbeatsFrom = 0;
  let heartbeatsTo = 0;

  before(async () => {
    redis = await startRedis({ faults: true });
    bridge = await startBridge({ redisUrl: redis.url }, INTERVAL_MS, { history: { timeScale: TIME_SCALE, settleMs: SETTLE_MS } });
    browser = await launchChromium();
    const client = redis.client();

    // Written as an SDK writes them: slow entries into the app's stream, exceptions into its sorted set.
    for (const group of SLOW)
      for (const duration_ms of group.durations)
        await client.xadd(
          slowKey(app),
          '*',
          ...slowStreamFields(slowEntry({ kind: group.kind, name: group.name, duration_ms, server_id: 'web-1' })),
        );
    for (const exception of EXCEPTIONS)
      for (const server_id of exception.servers) {
        const member = errorMember(
          errorEntry(app, { fingerprint: exception.fingerprint, type: exception.type, message: exception.message, server_id }),
        );
        await client.zadd(`pulse:errors:${app}`, member.score, member.member);
      }

    // Servers heartbeat for a few buckets, then stop, so that the CPU series stops growing before it is compared;
    // web-3 is silent in the middle, for longer than two buckets.
    heartbeatsFrom = Date.now();
    let tick = 0;
    while (Date.now() - heartbeatsFrom < HEARTBEATS_FOR_MS) {
      tick++;
      const pipeline = client.pipeline();
      const since = Date.now() - heartbeatsFrom;
      for (const id of since < GAP_FROM_MS || since >= GAP_TO_MS ? ['web-1', 'web-2', 'web-3'] : ['web-1', 'web-2']) {
        const beat = heartbeat(app, id, (h) => {
          h.meta.interval_ms = HEARTBEAT_INTERVAL_MS;
          h.system.cpu_usage = 10 + ((tick * 7) % 80);
        });
        pipeline.set(heartbeatKey(app, id), JSON.stringify(beat), 'PX', 2_000);
      }
      await pipeline.exec();
      await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_INTERVAL_MS));
    }
    heartbeatsTo = Date.now();
    // The servers go lost 600 ms later; the bucket of their last sample is written when it closes, at the first poll
    // after its end. Past that, the CPU series no longer change: the page and this test read the same.
    const lastBucketEnd = (Math.floor((heartbeatsTo + 3 * HEARTBEAT_INTERVAL_MS) / BUCKET_MS) + 1) * BUCKET_MS;
    await new Promise((resolve) => setTimeout(resolve, lastBucketEnd - Date.now() + 4 * INTERVAL_MS));

    // The history route, once every entry is counted: what the page must show.
    const slowTotal = SLOW.reduce((n, g) => n + g.durations.length, 0);
    const exceptionTotal = EXCEPTIONS.reduce((n, e) => n + e.servers.length, 0);
    history = await waitFor(
      async () => {
        const { status, body } = await getJson(`${bridge.url}/api/pulse/history?period=1h&app=${app}`);
        if (status !== 200) return undefined;
        const answer = body as HistoryResponse;
        const mine = answer.apps.find((a) => a.app === app);
        const counted = (mine?.slow ?? []).reduce((n, g) => n + g.count, 0);
        const raised = (mine?.exceptions ?? []).reduce((n, e) => n + e.count, 0);
        return counted === slowTotal && raised === exceptionTotal ? answer : undefined;
      },
      60_000,
      'the history route to count every entry and settle',
    );
  });
  after(async () => {
    await browser?.close();
    await bridge?.stop();
    await redis?.stop();
  });

  it('counts in Redis exactly what was written (the page is compared with this)', () => {
    const mine = history.apps.find((a) => a.app === app);
    assert.ok(mine);
    const groups = mine.slow.map((g) => ({ kind: g.kind, name: g.name, count: g.count, max_ms: g.max_ms, avg_ms: g.avg_ms }));
    const expected = SLOW.map((g) => ({
      kind: g.kind,
      name: g.name,
      count: g.durations.length,
      max_ms: Math.max(...g.durations),
      avg_ms: g.durations.reduce((a, b) => a + b, 0) / g.durations.length,
    }));
    const order = (list: { name: string }[]) => [...list].sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(order(groups), order(expected));
    assert.deepEqual(
      mine.exceptions.map((e) => [e.fingerprint, e.count, [...e.servers].sort()]).sort(),
      EXCEPTIONS.map((e) => [e.fingerprint, e.servers.length, [...new Set(e.servers)].sort()]).sort(),
    );
  });
  const slowRows = (page: Page, kind: string) => periodSlowRows(page, app, kind);

  const expectedRows = (kind: string, order: (a: (typeof SLOW)[number], b: (typeof SLOW)[number]) => number) =>
    SLOW.filter((g) => g.kind === kind)
      .sort(order)
      .map((g) => [g.name, ...g.row]);
  const byCount = (a: (typeof SLOW)[number], b: (typeof SLOW)[number]) => b.durations.length - a.durations.length;
  const byMax = (a: (typeof SLOW)[number], b: (typeof SLOW)[number]) => Math.max(...b.durations) - Math.max(...a.durations);

  it('switches to 1 h from the keyboard and shows the groups and graphs that Redis holds', async () => {
    const { page, log } = await browser.open({ width: 1280, height: 900 });
    await page.goto(`${bridge.url}/?app=${app}`);
    const oneHour = page.getByRole('navigation', { name: 'Period' }).getByRole('link', { name: '1 h' });
    await oneHour.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/[?&]period=1h(&|$)/);
    assert.equal(await oneHour.getAttribute('aria-current'), 'page');
    assert.equal(await page.locator('#apps').isHidden(), true, 'Live is hidden in a period');
    await page.locator(`#period-app-${app} .period-slow-row`).first().waitFor();

    // Grouped as Redis holds them, sorted by count (the default), then by slowest through sort=max.
    assert.deepEqual(await slowRows(page, 'request'), expectedRows('request', byCount));
    assert.deepEqual(await slowRows(page, 'job'), expectedRows('job', byCount));
    const slowest = page.getByRole('navigation', { name: 'Sort slow entries' }).getByRole('link', { name: 'slowest' });
    await slowest.click();
    await page.waitForURL(/[?&]sort=max(&|$)/);
    assert.equal(await slowest.getAttribute('aria-current'), 'true');
    await waitFor(
      async () => (JSON.stringify(await slowRows(page, 'request')) === JSON.stringify(expectedRows('request', byMax)) ? true : undefined),
      10_000,
      'the slow requests sorted by slowest',
    );

    // Exceptions: type, count and servers as counted.
    const items = page.locator(`#period-app-${app} .period-error`);
    assert.equal(await items.count(), EXCEPTIONS.length);
    for (const exception of EXCEPTIONS) {
      const item = items.filter({ has: page.locator('.error-type', { hasText: exception.type }) });
      assert.equal(await item.locator('.error-type').textContent(), exception.type);
      assert.equal(await item.locator('.error-message').textContent(), exception.message);
      assert.equal((await item.locator('.count').textContent())?.trim(), `× ${exception.servers.length}`);
      assert.deepEqual((await item.locator('.error-meta bdi').allTextContents()).sort(), [...new Set(exception.servers)].sort());
    }

    // CPU: one point per bucket the history holds, and the history holds every bucket the heartbeats lasted.
    const mine = history.apps.find((a) => a.app === app);
    assert.ok(mine);
    assert.equal(history.bucket_ms, BUCKET_MS);
    const bucketStart = (at: number) => Math.floor(at / history.bucket_ms) * history.bucket_ms;
    const elapsed = (bucketStart(heartbeatsTo) - bucketStart(heartbeatsFrom)) / history.bucket_ms + 1;
    assert.deepEqual(mine.servers.map((server) => server.id).sort(), ['web-1', 'web-2', 'web-3']);
    for (const server of mine.servers) {
      const starts = server.series.filter((p) => typeof p.cpu_avg === 'number').map((p) => p.start);
      // Runs of consecutive buckets: a line each. web-3's silence must split its line, never drop it to 0.
      let runs = starts.length > 0 ? 1 : 0;
      for (let i = 1; i < starts.length; i++) if (starts[i] !== (starts[i - 1] as number) + history.bucket_ms) runs++;
      if (server.id === 'web-3') assert.ok(runs >= 2, `web-3: its silence is a gap in the series (${runs} runs)`);
      else {
        assert.equal(runs, 1, `${server.id}: no bucket missing`);
        assert.ok(Math.abs(starts.length - elapsed) <= 1, `${server.id}: ${starts.length} CPU buckets, ${elapsed} elapsed`);
      }
      const { d, points, runs: lines } = await periodServerLine(page, app, server.id, 'cpu');
      assert.equal(points, starts.length, `${server.id}: one point per bucket with data (${d})`);
      assert.equal(lines, runs, `${server.id}: a line per run of buckets (${d})`);
      // CPU was 10–90 %: a point at the bottom (y = 100) would be a gap drawn as 0.
      assert.ok(!/[ML][\d.]+,100(?![\d.])/.test(d), `${server.id}: no point at 0 (${d})`);
      // The event loop's p99: a point per bucket that measured it, the latest and worst in words.
      const loop = server.series.filter((p) => typeof p.loop_p99_avg_ms === 'number');
      assert.ok(loop.length > 0, `${server.id}: heartbeats report the event loop`);
      const loopLine = await periodServerLine(page, app, server.id, 'loop');
      assert.equal(loopLine.points, loop.length, `${server.id}: one loop point per bucket with data (${loopLine.d})`);
      assert.match(loopLine.figures, /^latest [\d.]+ m?s · peak [\d.]+ m?s$/);
    }

    // The app's health: a point per bucket with a score. The bridge still polls the app (its servers are lost, not
    // forgotten), so buckets keep coming: the page reads the history again (a reload keeps the period), and what it
    // shows lies between two reads of the history taken around that one.
    const healthNow = async () => {
      const { body } = await getJson(`${bridge.url}/api/pulse/history?period=1h&app=${app}`);
      const buckets = (body as HistoryResponse).apps.find((a) => a.app === app)?.health ?? [];
      return { buckets, scores: buckets.flatMap((b) => (b.health === null ? [] : [b.health])) };
    };
    const before = await healthNow();
    await page.reload();
    await page.locator(`#period-app-${app} .period-health`).first().waitFor();
    const health = await periodHealthLine(page, app);
    const servers = (await page.locator(`#period-app-${app} .period-health-servers`).textContent())?.trim();
    const later = await healthNow();
    assert.ok(before.scores.length > 0, 'the history holds health buckets');
    assert.ok(
      health.points >= before.scores.length && health.points <= later.scores.length,
      `one health point per bucket with a score: ${health.points}, between ${before.scores.length} and ${later.scores.length} (${health.d})`,
    );
    const [, latest, lowest] = health.figures.match(/^latest (\d+) · lowest (\d+)$/) ?? [];
    assert.ok(latest !== undefined && lowest !== undefined, `health figures in words: ${health.figures}`);
    assert.ok(Number(lowest) <= Number(latest) && Number(lowest) >= Math.min(...later.scores), health.figures);
    assert.equal(
      servers,
      `Most servers at once: ${Math.max(...later.buckets.map((b) => b.online))} online, ${Math.max(...later.buckets.map((b) => b.lost))} lost`,
    );
    await assertNoScriptRan(page, log);
    await page.close();
  });

  it('keeps the period in the address across reload and back/forward', async () => {
    const { page, log } = await browser.open();
    await page.goto(`${bridge.url}/?app=${app}&period=1h`);
    await page.locator(`#period-app-${app} .period-slow-row`).first().waitFor();
    await page.reload();
    assert.match(page.url(), /[?&]period=1h(&|$)/);
    await page.locator(`#period-app-${app} .period-slow-row`).first().waitFor();
    const nav = page.getByRole('navigation', { name: 'Period' });
    assert.equal(await nav.getByRole('link', { name: '1 h' }).getAttribute('aria-current'), 'page');

    await nav.getByRole('link', { name: 'Live' }).click();
    await page.waitForURL((url) => !url.search.includes('period='));
    assert.equal(await page.locator('#period').isHidden(), true);
    assert.equal(await page.locator('#apps').getAttribute('hidden'), null, 'Live is shown again');
    await page.goBack();
    await page.waitForURL(/[?&]period=1h(&|$)/);
    await page.locator(`#period-app-${app} .period-slow-row`).first().waitFor();
    assert.equal(await nav.getByRole('link', { name: '1 h' }).getAttribute('aria-current'), 'page');
    assert.match(page.url(), new RegExp(`[?&]app=${app}(&|$)`), 'app= is kept');
    await page.goForward();
    await page.waitForURL((url) => !url.search.includes('period='));
    assert.equal(await page.locator('#period').isHidden(), true);
    await assertNoScriptRan(page, log);
    await page.close();
  });

  it('writes hostile and very long names as text, within the width of a phone', async () => {
    const { page, log } = await browser.open({ width: 390, height: 800 });
    await page.goto(`${bridge.url}/?app=${app}&period=1h`);
    await page.locator(`#period-app-${app} .period-slow-row`).first().waitFor();
    const names = await textOf(page, `#period-app-${app} .period-slow[data-kind="request"] .slow-name`);
    assert.ok(names.includes(XSS_ROUTE), 'the markup is shown as its text');
    assert.ok(names.includes(LONG_ROUTE));
    assert.ok((await textOf(page, '.period-error .error-type')).includes(XSS_TYPE));
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px`);
    await assertNoScriptRan(page, log);
    await page.close();
  });

  it('says that the figures are not current when a refresh fails, and keeps them greyed', async () => {
    const { page } = await browser.open();
    await page.goto(`${bridge.url}/?app=${app}&period=1h`);
    await page.locator(`#period-app-${app} .period-slow-row`).first().waitFor();
    assert.match((await page.locator('.period-status').textContent()) ?? '', /updated/);
    await redis.pause();
    try {
      // The next refresh (15 s for 2 s buckets) fails: the bridge cannot read Redis.
      await page.locator('#period.is-stale').waitFor({ timeout: 40_000 });
      assert.match((await page.locator('.period-status').textContent()) ?? '', /Could not refresh .*not current/);
      assert.ok((await page.locator(`#period-app-${app} .period-slow-row`).count()) > 0, 'the figures stay, marked');
    } finally {
      await redis.resume();
    }
    await page.close();
  });
});
