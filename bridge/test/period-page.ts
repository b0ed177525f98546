// Reading the Pulse page's period views (1 h, 6 h, …) in Chromium, for the tests that compare them with Redis:
// bridge/test/page-history.test.ts (written data) and scripts/test/history-demo.test.ts (the demo stack).
import type { Page } from 'playwright-core';

const text = (t: string) => t.replaceAll('\u00a0', ' ');

/** The rows of one app's slow card of `kind` (request, job, …): name, count, slowest, average. */
export async function periodSlowRows(page: Page, app: string, kind: string): Promise<string[][]> {
  const rows = page.locator(`#period-app-${app} .period-slow[data-kind="${kind}"] .period-slow-row`);
  const out: string[][] = [];
  for (const row of await rows.all()) out.push((await row.locator('th, td').allTextContents()).map(text));
  return out;
}

/** The kinds that have a slow card in one app's period view. */
export async function periodSlowKinds(page: Page, app: string): Promise<string[]> {
  const cards = await page.locator(`#period-app-${app} .period-slow`).all();
  return Promise.all(cards.map(async (card) => (await card.getAttribute('data-kind')) ?? ''));
}

/** One app's exception groups as shown: type and count (from its `× N`). */
export async function periodExceptionCounts(page: Page, app: string): Promise<{ type: string; count: number }[]> {
  const out: { type: string; count: number }[] = [];
  for (const item of await page.locator(`#period-app-${app} .period-error`).all()) {
    const count = text((await item.locator('.count').textContent()) ?? '').match(/^\s*× (\d+)\s*$/)?.[1];
    out.push({ type: (await item.locator('.error-type').textContent()) ?? '', count: count === undefined ? Number.NaN : Number(count) });
  }
  return out;
}

/** A graph in one app's period view (`within` a card): its path, the points drawn, the lines (runs of buckets) and its figures in words. */
async function periodLine(
  page: Page,
  within: string,
  chart: string,
): Promise<{ d: string; points: number; runs: number; figures: string }> {
  const metric = page.locator(`${within} .period-metric:has(.period-chart.${chart})`);
  const d = (await metric.locator('path').getAttribute('d')) ?? '';
  const figures = text((await metric.locator('.period-metric-figures').textContent()) ?? '');
  return { d, points: d.match(/[ML]/g)?.length ?? 0, runs: d.match(/M/g)?.length ?? 0, figures };
}

/** One server's graph of `chart` (`cpu`, `ram`, `loop`) in one app's period view. */
export function periodServerLine(page: Page, app: string, server: string, chart: 'cpu' | 'ram' | 'loop') {
  return periodLine(page, `#period-app-${app} [data-server="${server}"]`, chart);
}

/** One app's health score graph in its period view. */
export function periodHealthLine(page: Page, app: string) {
  return periodLine(page, `#period-app-${app} .period-health`, 'health');
}
