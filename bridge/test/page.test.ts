// The Pulse page in a real headless Chromium (Debian's `chromium`, driven by playwright-core), against a real
// bridge and a real Redis: rendering, lost servers, banners, hostile texts, the token, phone width, and the
// event-to-paint time at 1,000 servers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errorMember, heartbeatKey, type PulseHeartbeat, slowKey, slowStreamFields } from '@gravito/pulse-protocol';
import { launchChromium, type PageLog, skipWithoutChromium, startRedis, type TestBrowser, type TestRedis } from '@gravito/pulse-testkit';
import type { Locator, Page } from 'playwright-core';
import { errorEntry, getJson, heartbeat, slowEntry, startBridge, waitFor } from './helpers.js';

const INTERVAL_MS = 250;
/** Heartbeats in these tests claim a 200 ms interval, so the bridge calls a server lost after 3 × 200 ms. */
const HEARTBEAT_INTERVAL_MS = 200;
const LOST_AFTER_MS = 3 * HEARTBEAT_INTERVAL_MS;
const TOKEN = 'page-token-0123456789abcdef';
const SCREENSHOT = process.env.PULSE_UPDATE_SCREENSHOT === '1' ? new URL('../../docs/pulse-page.png', import.meta.url).pathname : undefined;

/** The controls a text from the feed must not bring onto the page: embeddings, overrides, isolates and marks. */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const XSS_IMG = '<img src=x onerror="window.__pulseXss=1;console.log(\'pulse-xss-ran\')">';
const XSS_SCRIPT = "</script><script>window.__pulseXss=2;console.log('pulse-xss-ran')</script>";

/** A bare consumer of the same stream: parse each `system_pulse`, write one text node, time it to the next paint. */
const FLOOR_SCRIPT = `
  window.__floor = [];
  const out = document.body.appendChild(document.createElement('p'));
  new EventSource('/api/pulse/stream').addEventListener('system_pulse', (e) => {
    const start = e.timeStamp;
    const event = JSON.parse(e.data);
    requestAnimationFrame(() => {
      out.textContent = event.apps.length + ' apps at ' + event.timestamp;
      setTimeout(() => window.__floor.push(performance.now() - start), 0);
    });
  });`;

const UPDATES_MEASURED = 20;

/** Waits for UPDATES_MEASURED durations from the page. */
async function collect(page: Page, expression: string): Promise<number[]> {
  return waitFor(
    async () => {
      const list = (await page.evaluate(expression)) as number[];
      return list.length >= UPDATES_MEASURED ? list.slice(0, UPDATES_MEASURED) : undefined;
    },
    60_000,
    `${UPDATES_MEASURED} painted updates`,
  );
}

function quantile(list: number[], q: number): number {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

// In CI a missing Chromium fails (launchChromium says how to install it) rather than skipping.
const skip = skipWithoutChromium();

function hb(app: string, id: string, patch: (h: PulseHeartbeat) => void = () => {}): PulseHeartbeat {
  return heartbeat(app, id, (h) => {
    h.meta.interval_ms = HEARTBEAT_INTERVAL_MS;
    h.system.hostname = `${id}.internal`;
    patch(h);
  });
}

async function writeServers(redis: TestRedis, beats: PulseHeartbeat[]): Promise<void> {
  const pipeline = redis.client().pipeline();
  for (const beat of beats) pipeline.set(heartbeatKey(beat.meta.app_name, beat.meta.instance_id ?? ''), JSON.stringify(beat), 'EX', 30);
  await pipeline.exec();
}

/** Writes heartbeats for `ids` every `everyMs` until stopped; ids can be dropped to let a server go silent. */
function keepAlive(
  redis: TestRedis,
  app: string,
  ids: string[],
  patch?: (h: PulseHeartbeat, id: string) => void,
  everyMs = HEARTBEAT_INTERVAL_MS,
) {
  const client = redis.client();
  const live = new Set(ids);
  let tick = 0;
  const write = async () => {
    tick++;
    const pipeline = client.pipeline();
    for (const id of live) {
      const beat = hb(app, id, (h) => {
        h.system.cpu_usage = 20 + ((tick * 7 + id.length * 13) % 60);
        patch?.(h, id);
      });
      pipeline.set(heartbeatKey(app, id), JSON.stringify(beat), 'EX', 30);
    }
    await pipeline.exec();
  };
  const timer = setInterval(() => void write(), everyMs);
  return {
    ready: write(),
    silence(id: string) {
      live.delete(id);
    },
    stop() {
      clearInterval(timer);
    },
  };
}

/** An element's text, with the no-break spaces that keep a number with its unit read as spaces. */
async function textOf(locator: Locator): Promise<string> {
  return ((await locator.textContent()) ?? '').replaceAll('\u00a0', ' ');
}

async function serverCards(page: Page, app: string): Promise<number> {
  return page.locator(`#app-${app} .card.server`).count();
}

async function cardText(page: Page, app: string, id: string): Promise<string> {
  return textOf(page.locator(`#app-${app} .card.server`, { has: page.locator(`h4:text-is("${id}")`) }));
}

/** Heartbeats that keep a server online for the whole test when written once. */
const ONCE_MS = 60_000;

/** Writes `count` exceptions of as many groups (fingerprints) for `app`. */
async function writeErrorGroups(redis: TestRedis, app: string, count: number, patch: Parameters<typeof errorEntry>[1] = {}): Promise<void> {
  const pipeline = redis.client().pipeline();
  for (let i = 0; i < count; i++) {
    const member = errorMember(errorEntry(app, { fingerprint: `e${String(i).padStart(7, '0')}`, ...patch }));
    pipeline.zadd(`pulse:errors:${app}`, member.score, member.member);
  }
  await pipeline.exec();
}

/**
 * Texts under `selector` that the browser laid out over more than one line although they must not: each run of
 * characters between two spaces of a text node (a server id, a route segment: a route is split into text nodes at
 * its `<wbr>`s), and each value, wherever the spaces in it are: a number with its unit ("1.00 s", "1 h 0 min"), a
 * threshold ("(> 1.00 s)"). A text on one line has its boxes side by side: each box's top is above every bottom.
 */
async function wrappedTexts(page: Page, selector: string): Promise<string[]> {
  const script = `(() => {
    const VALUE = /\\(>\\s[^)]*\\)|(?:\\d[\\d.]*\\s(?:ms|s|min|h|d|y|%|B|KiB|MiB|GiB|TiB|PiB)(?![\\w/])\\s?)+/g;
    const range = document.createRange();
    const spansLines = () => {
      const boxes = [...range.getClientRects()].filter((r) => r.width > 0);
      return boxes.length > 0 && Math.max(...boxes.map((r) => r.top)) >= Math.min(...boxes.map((r) => r.bottom));
    };
    const wrapped = [];
    const texts = document.createTreeWalker(document.querySelector(${JSON.stringify(selector)}), NodeFilter.SHOW_TEXT);
    for (let node = texts.nextNode(); node; node = texts.nextNode()) {
      for (const text of [...node.textContent.matchAll(/[^ \\n\\t]+/g), ...node.textContent.matchAll(VALUE)]) {
        range.setStart(node, text.index);
        range.setEnd(node, text.index + text[0].trimEnd().length);
        if (spansLines()) wrapped.push(text[0]);
      }
    }
    return wrapped;
  })()`;
  return (await page.evaluate(script)) as string[];
}

/** No markup from the data ran or was created: no probe on window, nothing on the console, no dialog, no <img>. */
async function assertNoScriptRan(page: Page, log: PageLog): Promise<void> {
  assert.equal(await page.evaluate('typeof window.__pulseXss'), 'undefined');
  assert.equal(await page.locator('img').count(), 0);
  assert.equal(await page.locator('script').count(), 1, 'only the page bundle');
  assert.deepEqual(
    log.console.filter((l) => l.includes('pulse-xss')),
    [],
  );
  assert.deepEqual(log.dialogs, []);
  assert.deepEqual(log.errors, []);
}

describe('the Pulse page in Chromium', { skip }, () => {
  let redis: TestRedis;
  let browser: TestBrowser;
  let bridge: Awaited<ReturnType<typeof startBridge>>;

  before(async () => {
    redis = await startRedis({ faults: true });
    bridge = await startBridge({ redisUrl: redis.url }, INTERVAL_MS);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await bridge?.stop();
    await redis?.stop();
  });

  it('serves the page and its hashed assets with a strict CSP and cache headers, without a token', async () => {
    for (const path of ['/', '/pulse']) {
      const res = await fetch(`${bridge.url}${path}`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      assert.equal(res.headers.get('cache-control'), 'no-cache');
      const csp = res.headers.get('content-security-policy') ?? '';
      for (const directive of [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "require-trusted-types-for 'script'",
      ]) {
        assert.ok(csp.includes(directive), `${directive} in ${csp}`);
      }
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
      const html = await res.text();
      assert.doesNotMatch(html, /<script>|<style>|style=/, 'no inline script or style');
      const script = html.match(/src="(\/assets\/app-[A-Za-z0-9]+\.js)"/)?.[1];
      const style = html.match(/href="(\/assets\/style-[A-Za-z0-9]+\.css)"/)?.[1];
      assert.ok(script && style, html);
      for (const [asset, type] of [
        [script, /^text\/javascript/],
        [style, /^text\/css/],
      ] as const) {
        const a = await fetch(`${bridge.url}${asset}`);
        assert.equal(a.status, 200);
        assert.match(a.headers.get('content-type') ?? '', type);
        assert.equal(a.headers.get('cache-control'), 'public, max-age=31536000, immutable');
        assert.ok((await a.arrayBuffer()).byteLength > 1000);
      }
    }
    assert.equal((await fetch(`${bridge.url}/assets/app-NOPE.js`)).status, 404);
    assert.equal((await fetch(`${bridge.url}/assets/..%2Fmanifest.json`)).status, 404);
  });

  it('renders every server with its cards, and greys a silent one within lost-after plus one interval', async () => {
    const app = 'checkout';
    const ids = ['web-1', 'web-2', 'web-3', 'worker-1'];
    const beats = keepAlive(redis, app, ids, (h, id) => {
      if (id === 'web-3') h.system.cpu_usage = 97;
      if (id === 'web-1') h.processes = [{ pid: 5001, name: 'node', kind: 'cluster', cpu_usage: 8.5, memory_rss: 83_886_080 }];
    });
    const { page, log } = await browser.open();
    try {
      await beats.ready;
      const client = redis.client();
      // history written before the page opened comes from the JSON API
      await client.xadd(
        slowKey(app),
        '*',
        ...slowStreamFields(
          slowEntry({
            route: '/checkout/:cart',
            name: 'POST /checkout/:cart',
            method: 'POST',
            duration_ms: 2340,
            trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
            server_id: 'web-1',
          }),
        ),
      );
      const early = errorMember(
        errorEntry(app, { type: 'PaymentDeclined', message: 'card declined by the issuer', server_id: 'web-2', fingerprint: 'aa11bb22' }),
      );
      await client.zadd(`pulse:errors:${app}`, early.score, early.member);

      await page.goto(`${bridge.url}/`);
      await waitFor(async () => (await serverCards(page, app)) === ids.length || undefined, 10_000, 'four server cards');
      const web1 = await cardText(page, app, 'web-1');
      for (const piece of [
        'web-1.internal',
        '● Online',
        'CPU',
        'RAM',
        'Disks',
        '/var/lib/data',
        'Load 1/5/15 min',
        'Event loop p50/p99',
        'Uptime',
        '4242',
        'RSS',
        'worker node',
        '5001',
        '8.5 %',
        '80.0 MiB',
      ]) {
        assert.ok(web1.includes(piece), `${piece} in ${web1}`);
      }
      assert.match(await cardText(page, app, 'web-3'), /⚠ 97 %/, 'a high gauge says so in text');
      const score = (await getJson(`${bridge.url}/api/pulse/servers?app=${app}`)).body.apps[0].health.score;
      assert.match(await textOf(page.locator(`#app-${app} .card.health`)), new RegExp(`${score}\\s*/ 100`));
      await waitFor(
        async () => (await textOf(page.locator(`#app-${app} .card.slow`))).includes('POST /checkout/:cart') || undefined,
        5_000,
        'slow history',
      );
      const slowText = await textOf(page.locator(`#app-${app} .card.slow`));
      assert.match(slowText, /2\.34 s/);
      assert.match(slowText, /4bf92f3577b34da6a3ce929d0e0e4736/);
      await waitFor(
        async () => (await textOf(page.locator(`#app-${app} .card.errors`))).includes('PaymentDeclined') || undefined,
        5_000,
        'error history',
      );

      // live entries, grouped by fingerprint with a count
      for (let i = 0; i < 3; i++) {
        const live = errorMember(
          errorEntry(app, { type: 'TimeoutError', message: 'upstream timed out', fingerprint: 'cc33dd44', server_id: 'web-1' }),
        );
        await client.zadd(`pulse:errors:${app}`, live.score, live.member);
      }
      await waitFor(
        async () => (await textOf(page.locator(`#app-${app} .card.errors`))).includes('TimeoutError × 3') || undefined,
        5_000,
        'a group of 3',
      );

      // the CPU sparkline grows with each heartbeat, kept in the browser
      await waitFor(
        async () =>
          ((await page.locator(`#app-${app} .card.server .sparkline.cpu polyline`).first().getAttribute('points')) ?? '').split(' ')
            .length >= 4 || undefined,
        5_000,
        'sparkline points',
      );

      beats.silence('worker-1');
      const silencedAt = Date.now();
      const lost = page.locator(`#app-${app} .card.server.is-lost`);
      await waitFor(async () => (await lost.count()) === 1 || undefined, 5_000, 'a lost card');
      const elapsed = Date.now() - silencedAt;
      assert.ok(elapsed <= LOST_AFTER_MS + HEARTBEAT_INTERVAL_MS + INTERVAL_MS + 250, `grey after ${elapsed} ms`);
      assert.match(await textOf(lost), /worker-1.*✕ Lost: no heartbeat for \d+ s/);
      // a graceful shutdown: the last heartbeat says stopped, and the card says so (not lost)
      beats.silence('web-2');
      await client.set(heartbeatKey(app, 'web-2'), JSON.stringify(hb(app, 'web-2', (h) => (h.state = 'stopped'))), 'EX', 30);
      const stopped = page.locator(`#app-${app} .card.server.is-stopped`);
      await waitFor(async () => (await stopped.count()) === 1 || undefined, 5_000, 'a stopped card');
      assert.match(await textOf(stopped), /web-2.*■ Stopped \d+ s ago/);
      assert.equal(await lost.count(), 1, 'stopped is not lost');
      assert.match(await textOf(page.locator(`#app-${app} .card.health`)), /2 online · 1 lost · 1 stopped/);
      if (SCREENSHOT) {
        await new Promise((r) => setTimeout(r, 2_500));
        await page.screenshot({ path: SCREENSHOT, fullPage: false });
      }
      // still lost, and the duration moves with the clock between events too
      await waitFor(async () => /no heartbeat for ([2-9]|\d{2,}) s/.test(await textOf(lost)) || undefined, 5_000, 'lost for ≥ 2 s');
      await assertNoScriptRan(page, log);
    } finally {
      beats.stop();
      await page.close();
    }
  });

  it('is keyboard-navigable and fits 1280 px and phone width without horizontal scrolling', async () => {
    const app = 'page-phone';
    await writeServers(redis, [hb(app, 'api-1'), hb(app, 'api-2')]);
    for (const viewport of [
      { width: 1280, height: 900 },
      { width: 390, height: 844 },
    ]) {
      const { page, log } = await browser.open(viewport);
      try {
        await page.goto(`${bridge.url}/pulse`);
        await waitFor(async () => (await serverCards(page, app)) === 2 || undefined, 10_000, 'cards');
        const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
        assert.equal(overflow, 0, `horizontal overflow at ${viewport.width} px`);
        await page.keyboard.press('Tab');
        assert.equal(await page.evaluate('document.activeElement.textContent'), 'Skip to the apps');
        const reached: string[] = [];
        for (let i = 0; i < 60 && !reached.includes('server'); i++) {
          await page.keyboard.press('Tab');
          reached.push(
            String(await page.evaluate("document.activeElement.classList.contains('server') ? 'server' : document.activeElement.tagName")),
          );
        }
        assert.ok(reached.includes('A'), 'the apps navigation is reachable');
        assert.ok(reached.includes('server'), `a server card is reachable by Tab: ${reached.join(',')}`);
        assert.deepEqual(log.errors, []);
      } finally {
        await page.close();
      }
    }
  });

  it('asks the stream for deltas, and for the apps of ?app= only', async () => {
    const app = 'page-filter';
    await writeServers(redis, [hb(app, 'f-1'), hb('page-other', 'o-1')]);
    const { page, log } = await browser.open();
    try {
      const streams: string[] = [];
      page.on('request', (r) => {
        if (r.url().includes('/api/pulse/stream')) streams.push(new URL(r.url()).search);
      });
      await page.goto(`${bridge.url}/?app=${app},not%20a%20name,${app}`);
      await waitFor(async () => (await serverCards(page, app)) === 1 || undefined, 10_000, 'the card');
      assert.deepEqual(streams, [`?mode=delta&app=${app}`]);
      assert.equal(await page.locator('section.app').count(), 1, 'only the filtered app');
      assert.match(await textOf(page.locator('.filter-note')), new RegExp(`Showing ${app} only · show all apps`));
      // a server that appears comes in a delta
      await writeServers(redis, [hb(app, 'f-2')]);
      await waitFor(async () => (await serverCards(page, app)) === 2 || undefined, 5_000, 'the new card');
      assert.deepEqual(log.errors, []);
    } finally {
      await page.close();
    }
  });

  it('words every count with its noun right for 0, 1 and many', async () => {
    const one = 'page-words-one';
    const many = 'page-words-many';
    await writeServers(redis, [
      hb(one, 'solo', (h) => {
        h.meta.interval_ms = ONCE_MS;
        h.system.cpu_count = 1;
      }),
      ...['m-1', 'm-2'].map((id) =>
        hb(many, id, (h) => {
          h.meta.interval_ms = ONCE_MS;
          h.system.cpu_count = 2;
        }),
      ),
    ]);
    const { page, log } = await browser.open();
    try {
      await page.goto(`${bridge.url}/?app=${one},${many}`);
      await waitFor(async () => (await serverCards(page, one)) + (await serverCards(page, many)) === 3 || undefined, 10_000, 'the cards');
      // Five slow entries in the bridge's 5-minute window: a rate of 1 per minute.
      const client = redis.client();
      for (let i = 0; i < 5; i++) await client.xadd(slowKey(one), '*', ...slowStreamFields(slowEntry({ server_id: 'solo' })));
      await writeErrorGroups(redis, one, 11, { server_id: 'solo' });
      await writeErrorGroups(redis, many, 12, { server_id: 'm-1' });
      const health = page.locator(`#app-${one} .card.health`);
      await waitFor(async () => /slow entries at 1 per minute/.test(await textOf(health)) || undefined, 5_000, 'a rate of 1 per minute');
      await waitFor(async () => (await page.locator('.more:visible').count()) === 2 || undefined, 5_000, 'both exceptions cards full');

      assert.match(await textOf(page.locator('#summary')), /^2 apps · 3 servers online · 0 lost/);
      assert.equal(await textOf(page.locator(`#app-${one} .app-counts`)), '1 server: 1 online, 0 lost');
      assert.equal(await textOf(page.locator(`#app-${many} .app-counts`)), '2 servers: 2 online, 0 lost');
      assert.match(await cardText(page, one, 'solo'), /CPU.*1 core(?!s)/);
      assert.match(await cardText(page, many, 'm-1'), /CPU.*2 cores/);
      assert.equal(await textOf(page.locator(`#app-${one} .more`)), 'and 1 more group');
      assert.equal(await textOf(page.locator(`#app-${many} .more`)), 'and 2 more groups');
      assert.doesNotMatch(await textOf(health), /\b1 slow entries/);
      assert.deepEqual(log.errors, []);
    } finally {
      await page.close();
    }
  });

  it('says stopped, not healthy, for an app whose only server stopped, and draws its one reading as a flat line', async () => {
    const app = 'page-stopped-only';
    await writeServers(redis, [hb(app, 'last-1', (h) => (h.state = 'stopped'))]);
    const { page, log } = await browser.open();
    try {
      await page.goto(`${bridge.url}/?app=${app}`);
      await waitFor(async () => (await serverCards(page, app)) === 1 || undefined, 10_000, 'the card');
      const health = page.locator(`#app-${app} .card.health`);
      await waitFor(async () => /■ Stopped/.test(await textOf(health)) || undefined, 5_000, 'the stopped verdict');
      assert.equal(await textOf(health.locator('.verdict')), '■ Stopped');
      for (const part of ['.score', '.score-max']) assert.equal(await health.locator(part).isVisible(), false, 'no score: nothing runs');
      assert.match(await textOf(health), /the only server stopped \(graceful shutdown\)/);
      assert.equal(await textOf(page.locator(`#app-${app} .app-counts`)), '1 server: 0 online, 0 lost, 1 stopped');
      assert.match(await textOf(page.locator('#summary')), /^1 app · 0 servers online · 0 lost · 1 stopped/);
      // One heartbeat, one reading: a flat line across the sparkline, not a dot at its right end.
      const points = (await page.locator(`#app-${app} .sparkline.cpu polyline`).getAttribute('points')) ?? '';
      const ys = new Set(points.split(' ').map((p) => p.split(',')[1]));
      assert.equal(points.split(' ').length, 2, points);
      assert.ok(points.startsWith('0,') && ys.size === 1, `a flat line from the left edge: ${points}`);
      assert.deepEqual(log.errors, []);
    } finally {
      await page.close();
    }
  });

  it('keeps values whole at phone width, says when a table scrolls sideways, and caps a huge uptime', async () => {
    const app = 'page-narrow';
    const route = '/checkout/:cart/items/:itemId/shipping/estimate';
    await writeServers(redis, [
      hb(app, 'vm-21372', (h) => {
        h.meta.interval_ms = ONCE_MS;
        h.system.hostname = 'vm-21372.eu-west-1.compute.internal';
      }),
      // A Quasar agent's uptime, in seconds, of a clock gone wrong.
      hb(app, 'vm-quasar', (h) => {
        h.meta.interval_ms = ONCE_MS;
        h.process.uptime = 1e15;
      }),
    ]);
    const client = redis.client();
    await client.xadd(
      slowKey(app),
      '*',
      ...slowStreamFields(
        slowEntry({ method: 'POST', route, name: `POST ${route}`, duration_ms: 2340, threshold_ms: 1000, server_id: 'vm-21372' }),
      ),
    );
    const job = { kind: 'job', name: 'SendWelcomeEmail', route: undefined, method: undefined, status: undefined } as const;
    await client.xadd(
      slowKey(app),
      '*',
      ...slowStreamFields(slowEntry({ ...job, duration_ms: 5400, threshold_ms: 5000, server_id: 'vm-quasar' })),
    );
    await writeErrorGroups(redis, app, 1, { route, server_id: 'vm-21372' });
    const section = `#app-${app}`;
    for (const viewport of [
      { width: 390, height: 844 },
      { width: 1280, height: 900 },
    ]) {
      const { page, log } = await browser.open(viewport);
      try {
        await page.goto(`${bridge.url}/?app=${app}`);
        await waitFor(async () => (await page.locator(`${section} .slow tbody tr`).count()) === 2 || undefined, 10_000, 'the slow rows');
        await waitFor(async () => (await page.locator(`${section} .error-meta`).count()) === 1 || undefined, 5_000, 'the exception');
        const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
        assert.equal(overflow, 0, `horizontal overflow at ${viewport.width} px`);
        // No value breaks across lines: not a threshold, a server id at its hyphen, nor a route inside a segment.
        assert.deepEqual(await wrappedTexts(page, section), [], `wrapped at ${viewport.width} px`);
        assert.match(await textOf(page.locator(`${section} .slow tbody th`).last()), new RegExp(`POST ${route}`));
        const quasar = page.locator(`${section} .card.server`, { has: page.locator('h4:text-is("vm-quasar")') });
        assert.match(await textOf(quasar.locator('.processes')), /> 100 y/);

        const scroller = `document.querySelector('${section} .card.slow .table-scroll')`;
        const scrolls = await page.evaluate(`${scroller}.scrollWidth > ${scroller}.clientWidth`);
        assert.equal(scrolls, viewport.width === 390, `the slow table scrolls at ${viewport.width} px`);
        assert.equal(
          await page.locator(`${section} .card.slow .scroll-hint`).isVisible(),
          scrolls,
          'the hint shows exactly when the table scrolls',
        );
        if (scrolls) assert.match(await textOf(page.locator(`${section} .card.slow .scroll-hint`)), /Scroll the table sideways/);
        assert.deepEqual(log.errors, []);
      } finally {
        await page.close();
      }
    }
  });

  it("removes bidirectional controls from every text and attribute, and isolates values among the page's words", async () => {
    const app = 'page-bidi';
    // U+202E (right-to-left override) makes "gnp.exe" read "exe.png"; the others embed, isolate or mark direction.
    const spoof = '\u202Egnp.exe';
    await writeServers(redis, [
      hb(app, 'b-1', (h) => {
        h.meta.interval_ms = ONCE_MS;
        h.system.hostname = spoof;
        h.meta.environment = '\u2067prod\u2069';
        h.meta.version = '\u200F1.0\u200E';
        h.system.disks = [{ mount: `/mnt/${spoof}`, total: 100, free: 50 }];
      }),
    ]);
    const client = redis.client();
    await client.xadd(slowKey(app), '*', ...slowStreamFields(slowEntry({ name: spoof, route: `/files/${spoof}`, server_id: 'b-1' })));
    await writeErrorGroups(redis, app, 1, {
      type: '\u202AError\u202C',
      message: `cannot open ${spoof}\u061C`,
      route: `/\u202D${spoof}`,
      server_id: 'b-1',
    });
    const { page, log } = await browser.open();
    try {
      await page.goto(`${bridge.url}/?app=${app}`);
      const section = page.locator(`#app-${app}`);
      await waitFor(async () => (await textOf(section.locator('.card.slow'))).includes('gnp.exe') || undefined, 10_000, 'the slow entry');
      await waitFor(
        async () => (await textOf(section.locator('.card.errors'))).includes('cannot open') || undefined,
        5_000,
        'the exception',
      );
      const text = await textOf(section);
      assert.doesNotMatch(text, BIDI_CONTROLS, 'no bidirectional control in the text');
      for (const piece of ['gnp.exe · linux', 'prod · 1.0', '/files/gnp.exe', 'cannot open gnp.exe', '/mnt/gnp.exe']) {
        assert.ok(text.includes(piece), `${piece} in ${text}`);
      }
      const attributes = (await page.evaluate(
        `[...document.querySelectorAll('#app-${app} *')].flatMap((e) => [...e.attributes].map((a) => a.value))`,
      )) as string[];
      assert.deepEqual(
        attributes.filter((value) => BIDI_CONTROLS.test(value)),
        [],
        'no bidirectional control in an attribute (title, aria-label)',
      );
      // A value shares its line with the page's words only inside an isolate.
      const hostname = `[...document.querySelectorAll('#app-${app} .identity bdi')].find((e) => e.textContent === 'gnp.exe')`;
      assert.equal(await page.evaluate(`getComputedStyle(${hostname}).unicodeBidi`), 'isolate');
      assert.deepEqual(log.errors, []);
    } finally {
      await page.close();
    }
  });

  it('shows hostile hostnames, routes and messages as literal text, and no script runs', async () => {
    const app = 'page-hostile';
    await writeServers(redis, [
      hb(app, 'evil-1', (h) => {
        h.system.hostname = XSS_IMG;
        h.meta.environment = '</script><script>window.__pulseXss=3</script>';
        h.system.disks = [{ mount: XSS_SCRIPT, total: 100, free: 50 }];
      }),
    ]);
    const { page, log } = await browser.open();
    try {
      await page.goto(`${bridge.url}/`);
      await waitFor(async () => (await serverCards(page, app)) === 1 || undefined, 10_000, 'the card');
      const client = redis.client();
      await client.xadd(slowKey(app), '*', ...slowStreamFields(slowEntry({ name: XSS_IMG, route: XSS_SCRIPT, server_id: 'evil-1' })));
      const err = errorMember(errorEntry(app, { type: XSS_IMG, message: `${XSS_SCRIPT} ${XSS_IMG}`, route: XSS_IMG, server_id: 'evil-1' }));
      await client.zadd(`pulse:errors:${app}`, err.score, err.member);
      const section = page.locator(`#app-${app}`);
      await waitFor(async () => (await textOf(section.locator('.card.errors'))).includes(XSS_SCRIPT) || undefined, 5_000, 'the error');
      await waitFor(async () => (await textOf(section.locator('.card.slow'))).includes(XSS_SCRIPT) || undefined, 5_000, 'the slow entry');
      const text = await textOf(section);
      assert.ok(text.includes(XSS_IMG), 'hostname shown literally');
      assert.ok(text.includes(XSS_SCRIPT), 'mount shown literally');
      assert.equal(await section.getByRole('meter', { name: `Disk ${XSS_SCRIPT}` }).count(), 1, 'and named literally');
      await new Promise((r) => setTimeout(r, 300));
      await assertNoScriptRan(page, log);
    } finally {
      await page.close();
    }
  });

  it('shows a banner while Redis is down, and takes it away when Redis is back', async () => {
    const app = 'page-redis';
    await writeServers(redis, [hb(app, 'r-1')]);
    const { page, log } = await browser.open();
    try {
      await page.goto(`${bridge.url}/`);
      await waitFor(async () => (await serverCards(page, app)) === 1 || undefined, 10_000, 'the card');
      const banner = page.locator('.banner-redis');
      assert.equal(await banner.isVisible(), false);
      await redis.kill();
      await waitFor(async () => (await banner.isVisible()) || undefined, 5_000, 'the Redis banner');
      assert.match(await textOf(banner), /⚠ Redis down/);
      assert.equal(await serverCards(page, app), 1, 'the last state stays on screen');
      await redis.restart();
      await waitFor(async () => !(await banner.isVisible()) || undefined, 10_000, 'the banner gone');
      assert.deepEqual(log.errors, []);
    } finally {
      await page.close();
    }
  });

  describe('with a token', () => {
    let guarded: Awaited<ReturnType<typeof startBridge>>;
    before(async () => {
      guarded = await startBridge({ redisUrl: redis.url, token: TOKEN }, INTERVAL_MS);
    });
    after(async () => guarded?.stop());

    it('shows only the login form, then the cards once signed in, with the token never in the address bar', async () => {
      const app = 'page-token';
      const beats = keepAlive(redis, app, ['t-1']);
      const { page, log } = await browser.open();
      try {
        await beats.ready;
        const requests: string[] = [];
        page.on('request', (r) => requests.push(r.url()));
        await page.goto(`${guarded.url}/`);
        const login = page.locator('#login');
        await login.waitFor({ state: 'visible', timeout: 5_000 });
        await new Promise((r) => setTimeout(r, INTERVAL_MS * 2));
        assert.equal(await page.locator('.card').count(), 0, 'no card without the token');
        assert.equal(await page.locator('#apps').isVisible(), false);
        assert.ok(!requests.some((u) => u.includes('/api/pulse/stream')), 'no stream without the token');

        await page.fill('#login-token', 'wrong-token-0123456789abcdef');
        await page.press('#login-token', 'Enter');
        await waitFor(async () => (await textOf(page.locator('#login-error'))).includes('refused') || undefined, 5_000, 'refusal');

        await page.fill('#login-token', TOKEN);
        await page.click('#login button[type=submit]');
        await waitFor(async () => (await serverCards(page, app)) === 1 || undefined, 10_000, 'the card after signing in');
        assert.equal(await login.isVisible(), false);
        assert.equal(page.url(), `${guarded.url}/`, 'the address bar holds no token');
        assert.equal(await page.evaluate("sessionStorage.getItem('gravito-pulse-token')"), TOKEN);
        assert.ok(
          requests.some((u) => u.includes('/api/pulse/stream?') && new URL(u).searchParams.get('access_token') === TOKEN),
          'the stream takes the token as a query parameter',
        );

        // a reload keeps the session: no login form again
        await page.reload();
        await waitFor(async () => (await serverCards(page, app)) === 1 || undefined, 10_000, 'the card after a reload');
        assert.equal(await login.isVisible(), false);
        assert.deepEqual(log.errors, []);
      } finally {
        beats.stop();
        await page.close();
      }
    });

    // Runs last in this bridge: it leaves 127.0.0.1 waiting for its next guess.
    it('says how long to wait once this address has sent too many wrong tokens', async () => {
      for (let i = 0; i < 10; i++) {
        const res = await fetch(`${guarded.url}/readyz`, { headers: { Authorization: `Bearer wrong-${i}` } });
        await res.arrayBuffer();
      }
      const { page, log } = await browser.open();
      try {
        await page.goto(`${guarded.url}/`);
        await page.locator('#login').waitFor({ state: 'visible', timeout: 5_000 });
        // Even the right token is not checked while this address waits: the form says for how long.
        await page.fill('#login-token', TOKEN);
        await page.press('#login-token', 'Enter');
        await waitFor(async () => (await textOf(page.locator('#login-error'))) !== '' || undefined, 5_000, 'the answer');
        assert.match(
          await textOf(page.locator('#login-error')),
          /^Too many wrong tokens from this address: try again in \d+\s(second|seconds)\.$/,
        );
        assert.equal(await page.locator('.card').count(), 0);
        assert.deepEqual(log.errors, []);
      } finally {
        await page.close();
      }
    });
  });

  it('keeps up with 1,000 servers: measures event-to-paint against a bare parse-and-paint floor (docs/benchmarks.md)', async (t) => {
    const app = 'page-fleet';
    const ids = Array.from({ length: 1_000 }, (_, i) => `node-${String(i).padStart(4, '0')}`);
    const fleet = await startBridge({ redisUrl: redis.url }, 500);
    // Every heartbeat changes at every poll; they claim a 1 s interval, so none turns lost between writes.
    const beats = keepAlive(redis, app, ids, (h) => (h.meta.interval_ms = 1_000), 500);
    const { page, log } = await browser.open();
    try {
      await beats.ready;
      await page.goto(`${fleet.url}/`);
      await waitFor(async () => (await serverCards(page, app)) === 1_000 || undefined, 30_000, '1,000 cards');
      await page.evaluate("performance.clearMeasures('pulse:event-to-paint')");
      const pageMs = await collect(page, "performance.getEntriesByName('pulse:event-to-paint').map((e) => e.duration)");
      // the last card, far off screen, is brought up to date when it is scrolled to
      const lastCard = page.locator(`#app-${app} .card.server`).last();
      const seenBefore = await textOf(lastCard.locator('.fact dd').last());
      await new Promise((r) => setTimeout(r, 1_500));
      await lastCard.scrollIntoViewIfNeeded();
      await waitFor(
        async () => (await textOf(lastCard.locator('.fact dd').last())) !== seenBefore || undefined,
        10_000,
        'the last card up to date',
      );
      assert.deepEqual(log.errors, []);
      await page.close();

      // The floor, on the same machine a moment later: the same events, parsed and shown as one line of text.
      const floor = await browser.open();
      await floor.page.goto(`${fleet.url}/healthz`);
      await floor.page.evaluate(FLOOR_SCRIPT);
      const floorMs = await collect(floor.page, 'window.__floor');
      await floor.page.close();

      const p = (list: number[], q: number) => quantile(list, q).toFixed(1);
      t.diagnostic(
        `event-to-paint at 1,000 servers, ${pageMs.length} updates each: page p50 ${p(pageMs, 0.5)} ms, p95 ${p(pageMs, 0.95)} ms; ` +
          `floor p50 ${p(floorMs, 0.5)} ms, p95 ${p(floorMs, 0.95)} ms; p95 ratio ${(quantile(pageMs, 0.95) / quantile(floorMs, 0.95)).toFixed(2)}`,
      );
      assert.ok([...pageMs, ...floorMs].every((d) => Number.isFinite(d) && d >= 0));
    } finally {
      beats.stop();
      await page.close();
      await fleet.stop();
      await redis.client().del(...ids.map((id) => heartbeatKey(app, id)));
    }
  });
});
