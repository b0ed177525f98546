// The Pulse page on the demo stack (a real redis-server, the bridge CLI, the example app with OpenTelemetry), in
// a real headless Chromium: the demo's server renders, the app's slow request and exception appear within two
// intervals, and a killed and restarted bridge shows the reconnecting banner, then recovers without a reload.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, findRedisServer, launchChromium, skipWithoutChromium, type TestBrowser } from '@gravito/pulse-testkit';
import type { Page } from 'playwright-core';
import { Child, waitForHttp } from '../demo/processes.js';
import { BRIDGE_CLI, ROOT, type Stack, startStack } from '../demo/stack.js';

const INTERVAL_MS = 1_000; // the bridge's smallest configurable interval
const APP = 'example-app';
const skip = skipWithoutChromium() || (process.env.REDIS_URL || findRedisServer() ? false : 'no REDIS_URL and no redis-server on PATH');

/** How long until `probe` holds, probed every 25 ms: the page must show things within intervals. */
async function until(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  await eventually(what, probe, timeoutMs, { everyMs: 25 });
  return Date.now() - start;
}

const textOf = async (page: Page, selector: string) => (await page.locator(selector).first().textContent()) ?? '';

describe('the Pulse page on the demo stack', { skip }, () => {
  let stack: Stack;
  let browser: TestBrowser;
  let restarted: Child | undefined;
  const env = {
    PULSE_STREAM_INTERVAL_MS: String(INTERVAL_MS),
    PULSE_INTERVAL_MS: '500',
    PULSE_FLUSH_INTERVAL_MS: '200',
    PULSE_LOG_LEVEL: 'warn',
  };

  before(async () => {
    stack = await startStack({ bridgePort: 0, appPort: 0, traffic: false, env });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await restarted?.stop();
    await stack?.stop();
  });

  it("renders the demo's server, then the app's slow request and exception within two intervals", async () => {
    const { page, log } = await browser.open();
    try {
      await page.goto(`${stack.bridgeUrl}/`);
      await until('the example app server card', 15_000, async () => (await page.locator(`#app-${APP} .card.server`).count()) === 1);
      assert.match(await textOf(page, `#app-${APP} .card.server`), /● Online/);
      assert.match(await textOf(page, `#app-${APP} .card.server .identity`), /node v?\d+\.\d+/);
      assert.match(await textOf(page, `#app-${APP} .card.server .processes tbody`), /^main\d+/);

      const slowDone = fetch(`${stack.appUrl}/slow/page-test?ms=1100`).then((r) => r.arrayBuffer());
      const errorDone = fetch(`${stack.appUrl}/error`).then((r) => r.arrayBuffer());
      await Promise.all([slowDone, errorDone]);
      const slowMs = until('the slow request', 10_000, async () =>
        (await textOf(page, `#app-${APP} .card.slow`)).includes('GET /slow/:id'),
      );
      const errorMs = until('the exception', 10_000, async () =>
        (await textOf(page, `#app-${APP} .card.errors`)).includes('example failure from /error'),
      );
      const [slowAfter, errorAfter] = await Promise.all([slowMs, errorMs]);
      // Two intervals, and a little for this probe's own polling on a busy machine.
      assert.ok(slowAfter <= 2 * INTERVAL_MS + 250, `slow request shown after ${slowAfter} ms`);
      assert.ok(errorAfter <= 2 * INTERVAL_MS + 250, `exception shown after ${errorAfter} ms`);
      const slowRow = await textOf(page, `#app-${APP} .card.slow tbody tr`);
      // A number and its unit are joined by a no-break space (\s matches it).
      assert.match(slowRow, /GET \/slow\/:id.*1\.\d\d\ss.*200.*[0-9a-f]{32}/);
      assert.match(await textOf(page, `#app-${APP} .card.errors`), /TypeError × 1/);
      assert.deepEqual(log.errors, []);
    } finally {
      await page.close();
    }
  });

  it('shows the reconnecting banner when the bridge is killed, and recovers without a reload when it is back', async () => {
    const { page, log } = await browser.open();
    try {
      await page.goto(`${stack.bridgeUrl}/`);
      await until('the card', 15_000, async () => (await page.locator(`#app-${APP} .card.server`).count()) === 1);
      await page.evaluate('window.__sameDocument = true');
      const banner = page.locator('.banner-connection');
      assert.equal(await banner.isVisible(), false);

      const bridge = stack.children.find((c) => c.name === 'bridge');
      assert.ok(bridge);
      bridge.process.kill('SIGKILL');
      await until('the reconnecting banner', 10_000, () => banner.isVisible());
      assert.match((await banner.textContent()) ?? '', /Disconnected from the bridge, reconnecting/);
      assert.equal(await page.locator(`#app-${APP} .card.server`).count(), 1, 'the last state stays on screen');

      const port = new URL(stack.bridgeUrl).port;
      restarted = new Child('bridge', process.execPath, [BRIDGE_CLI], {
        cwd: ROOT,
        env: { ...process.env, ...env, REDIS_URL: stack.redisUrl, PULSE_BRIDGE_PORT: port },
      });
      await waitForHttp(`${stack.bridgeUrl}/healthz`, 15_000, restarted);
      await until('the banner gone', 15_000, async () => !(await banner.isVisible()));
      const pulseBefore = await textOf(page, '#summary');
      await until('a fresh system_pulse', 10_000, async () => (await textOf(page, '#summary')) !== pulseBefore);
      assert.equal(await page.evaluate('window.__sameDocument'), true, 'no reload');
      assert.match(await textOf(page, `#app-${APP} .card.server`), /● Online/);
      assert.deepEqual(log.errors, []);
    } finally {
      await page.close();
    }
  });
});
