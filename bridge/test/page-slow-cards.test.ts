// The Live view's slow cards in a real headless Chromium against a real bridge and Redis (issues 23 and 24): slow
// requests and jobs, slow queries and slow outgoing requests, each grouped by name (count, slowest with the host at
// that moment, latest with its trace id) instead of one row per entry; history from the JSON API, then live.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type SlowEntry, slowKey, slowStreamFields } from '@gravito/pulse-protocol';
import { skipWithoutChromium } from '@gravito/pulse-testkit';
import type { Locator } from 'playwright-core';
import { getJson, slowEntry, suitePage, waitFor, writeHeartbeat } from './helpers.js';

// In CI a missing Chromium fails (launchChromium says how to install it) rather than skipping.
const skip = skipWithoutChromium();

const TRACE = 'aaaabbbbccccddddeeeeffff00001111';
const STATEMENT = 'SELECT * FROM orders WHERE email = ? AND card = ?';
const HOSTILE_STATEMENT = 'SELECT "<img src=x onerror=window.__pulseXss=1>" FROM t WHERE a = ?';
const OUTGOING = 'GET 127.0.0.1:8080/users/:id';

async function textOf(locator: Locator): Promise<string> {
  return ((await locator.textContent()) ?? '').replaceAll('\u00a0', ' ');
}

/** A row's cells, each as its text: name, count, slowest, latest. */
async function cells(row: Locator): Promise<string[]> {
  return (await row.locator('th, td').allTextContents()).map((text) => text.replaceAll('\u00a0', ' '));
}

function query(name: string, patch: Partial<SlowEntry> = {}): SlowEntry {
  const { route: _r, method: _m, status: _s, ...base } = slowEntry({ kind: 'query', name, ...patch });
  return base;
}

function outgoing(patch: Partial<SlowEntry> = {}): SlowEntry {
  const { route: _r, ...base } = slowEntry({ kind: 'outgoing', name: OUTGOING, method: 'GET', status: 200, ...patch });
  return base;
}

describe('the slow cards of the Live view', { skip }, () => {
  const suite = suitePage();

  it('groups each kind by name, with count, slowest, the host at that moment and the latest trace id', async () => {
    const app = 'slow-cards';
    const client = suite.client;
    await writeHeartbeat(client, app, 'web-1');
    const t = Date.now() - 60_000;
    const host = { cpu_usage: 93, event_loop_delay_p99_ms: 180, memory_heap: 120 * 1024 * 1024, requests_in_flight: 4 };
    const written: SlowEntry[] = [
      slowEntry({ route: '/a', name: 'GET /a', duration_ms: 1_200, timestamp: t }),
      slowEntry({ route: '/a', name: 'GET /a', duration_ms: 3_400, timestamp: t + 1_000, host }),
      slowEntry({ route: '/a', name: 'GET /a', duration_ms: 1_500, timestamp: t + 2_000, trace_id: TRACE }),
      slowEntry({ kind: 'job', name: 'SendWelcomeEmail', route: undefined, method: undefined, status: undefined, timestamp: t }),
      query(STATEMENT, { duration_ms: 2_100, timestamp: t, location: 'src/orders/repository.ts:42', host: { cpu_usage: 12 } }),
      query(STATEMENT, { duration_ms: 1_100, timestamp: t + 1_000 }),
      query(HOSTILE_STATEMENT, { duration_ms: 1_050, timestamp: t }),
      outgoing({ duration_ms: 2_700, timestamp: t }),
      outgoing({ duration_ms: 1_300, timestamp: t + 1_000 }),
    ];
    for (const entry of written) await client.xadd(slowKey(app), '*', ...slowStreamFields(entry));

    // The JSON API the page loads its history from carries each entry's host snapshot.
    const api = await getJson(`${suite.bridge.url}/api/pulse/slow?app=${app}`);
    const withHost = (api.body.entries as { entry: SlowEntry }[]).filter(({ entry }) => entry.host !== undefined);
    assert.deepEqual(
      withHost.map(({ entry }) => entry.host),
      [{ cpu_usage: 12 }, host],
    );

    const { page, log } = await suite.browser.open({ width: 1280, height: 900 });
    try {
      await page.goto(`${suite.bridge.url}/?app=${app}`);
      const section = page.locator(`#app-${app}`);
      const requests = section.locator('.card.slow');
      const queries = section.locator('.card.slow-queries');
      const outgoingCard = section.locator('.card.slow-outgoing');
      await waitFor(async () => (await outgoingCard.locator('tbody tr').count()) === 1 || undefined, 10_000, 'the outgoing row');

      // Requests and jobs: one row per name, most frequent first.
      const requestRows = requests.locator('tbody tr');
      assert.equal(await requestRows.count(), 2);
      assert.deepEqual(await cells(requestRows.first()), [
        'GET /a',
        '3',
        '3.40 s (> 1.00 s)CPU 93 %, loop p99 180 ms, heap 120 MiB, 4 in flight at that moment',
        `200 ${TRACE}${await textOf(requestRows.first().locator('.when'))}`,
      ]);
      assert.match(await textOf(requestRows.first().locator('.when')), /^\d\d:\d\d:\d\d on web-1-4242$/);
      assert.deepEqual((await cells(requestRows.last())).slice(0, 2), ['job SendWelcomeEmail', '1']);
      assert.match(await textOf(requests.locator('.slow-window')), /^4 entries since \d\d:\d\d:\d\d$/);

      // Queries: the statement with where it was made, and its slowest moment's host.
      const queryRows = queries.locator('tbody tr');
      assert.equal(await queryRows.count(), 2);
      assert.deepEqual((await cells(queryRows.first())).slice(0, 3), [
        `${STATEMENT}src/orders/repository.ts:42`,
        '2',
        '2.10 s (> 1.00 s)CPU 12 % at that moment',
      ]);
      assert.deepEqual((await cells(queryRows.last())).slice(0, 2), [HOSTILE_STATEMENT, '1']);
      assert.equal(await page.locator('img').count(), 0, 'a statement is text, never markup');
      assert.equal(await page.evaluate('typeof window.__pulseXss'), 'undefined');

      const outgoingRow = outgoingCard.locator('tbody tr');
      assert.deepEqual((await cells(outgoingRow)).slice(0, 3), [OUTGOING, '2', '2.70 s (> 1.00 s)']);
      assert.equal(await outgoingCard.locator('.host-state').count(), 0, 'no snapshot, no host line (unknown is not 0)');

      // Live: a new entry of a known name raises its count in place, no new row.
      await client.xadd(slowKey(app), '*', ...slowStreamFields(outgoing({ duration_ms: 4_200, host: { cpu_usage: 55.5 } })));
      await waitFor(async () => (await cells(outgoingRow))[1] === '3' || undefined, 5_000, 'the live count');
      assert.equal(await outgoingRow.count(), 1);
      assert.deepEqual((await cells(outgoingRow)).slice(0, 3), [OUTGOING, '3', '4.20 s (> 1.00 s)CPU 56 % at that moment']);
      assert.deepEqual(log.errors, []);
    } finally {
      await page.close();
    }
  });

  it('says when a card has nothing yet', async () => {
    const app = 'slow-cards-empty';
    await writeHeartbeat(suite.client, app, 'web-1');
    const { page } = await suite.browser.open({ width: 390, height: 844 });
    try {
      await page.goto(`${suite.bridge.url}/?app=${app}`);
      const section = page.locator(`#app-${app}`);
      await waitFor(async () => (await section.locator('.card.slow-queries .empty').isVisible()) || undefined, 10_000, 'the empty card');
      assert.equal(await textOf(section.locator('.card.slow-queries .empty')), 'No slow queries seen yet.');
      assert.equal(await textOf(section.locator('.card.slow-outgoing .empty')), 'No slow outgoing requests seen yet.');
      assert.equal(await section.locator('.card.slow-queries table').isVisible(), false);
      // One column on a phone, no horizontal scrolling.
      assert.equal(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'), 0);
    } finally {
      await page.close();
    }
  });
});
