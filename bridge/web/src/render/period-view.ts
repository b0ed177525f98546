import { el, setText, toggleClass } from '../dom.js';
import { clock, dateTime, duration, NBSP } from '../format.js';
import { type HistoryPeriod, PERIOD_WORDS } from '../period.js';
import type { HistoryApp, HistoryJson } from '../period-data.js';
import { refreshEveryMs } from '../period-loader.js';
import { chartAxis } from './period-chart.js';
import { periodExceptionsCard } from './period-exceptions.js';
import { periodHealthCard } from './period-health.js';
import { periodQueueCards, periodServerCards } from './period-servers.js';
import { periodSlowCards } from './period-slow.js';

/** Shown figures older than this many refresh intervals are said to be old, whatever the reason (a sleeping tab). */
const STALE_AFTER_REFRESHES = 2.5;

function bucketWords(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000}${NBSP}min` : `${ms / 1000}${NBSP}s`;
}

/**
 * A period of history: a status line that says which period, from when and whether it is current, then per app
 * its slow and exception cards and its servers' graphs, then the queues. Rebuilt whole on each answer (at most
 * every 15 s), never patched: an answer replaces the previous one entirely.
 */
export class PeriodView {
  readonly root: HTMLElement;
  private readonly status: HTMLParagraphElement;
  private readonly content: HTMLDivElement;
  private shown: { period: HistoryPeriod; range: string; receivedAt: number; refreshMs: number; failure?: string } | undefined;

  constructor(toolbar: HTMLElement) {
    this.status = el('p', { className: 'period-status', attrs: { role: 'status' } });
    this.content = el('div', { className: 'period-content' });
    this.root = el('div', { className: 'period-view', attrs: { id: 'period', tabindex: '-1' } }, toolbar, this.status, this.content);
  }

  /** A new period was chosen: nothing of the previous one stays on screen. */
  loading(period: HistoryPeriod): void {
    this.shown = undefined;
    this.content.replaceChildren();
    toggleClass(this.root, 'is-stale', false);
    setText(this.status, `Loading ${PERIOD_WORDS[period]}…`);
  }

  show(period: HistoryPeriod, data: HistoryJson, receivedAt: number): void {
    const range = `${bucketWords(data.bucket_ms)} buckets from ${dateTime(data.from)} to ${dateTime(data.to)}`;
    this.shown = { period, range, receivedAt, refreshMs: refreshEveryMs(data.bucket_ms) };
    const axis = chartAxis(data.from, data.to, data.bucket_ms);
    const apps = [...data.apps].sort((a, b) => (a.app < b.app ? -1 : a.app > b.app ? 1 : 0));
    const sections: HTMLElement[] = apps.map((app) => section(app, axis));
    if (data.queues.length > 0)
      sections.push(
        el(
          'section',
          { className: 'period-queues', attrs: { 'aria-labelledby': 'period-queues-title' } },
          el('h2', { text: 'Queues', attrs: { id: 'period-queues-title' } }),
          el('div', { className: 'period-grid' }, ...periodQueueCards(data.queues, axis)),
        ),
      );
    if (sections.length === 0) sections.push(el('p', { className: 'empty', text: `Nothing was recorded in ${PERIOD_WORDS[period]}.` }));
    this.content.replaceChildren(...sections);
    this.tick(receivedAt);
  }

  /**
   * The request failed. What is on screen stays, marked as the figures of its own time, not as current; with
   * nothing on screen, the reason is said (`retrying`: whether the loader asks again).
   */
  failed(period: HistoryPeriod, reason: string, retrying: boolean): void {
    if (this.shown?.period !== period) {
      setText(this.status, `✕ Could not load ${PERIOD_WORDS[period]}: ${reason}.${retrying ? ' Trying again shortly.' : ''}`);
      return;
    }
    this.shown.failure = reason;
    this.tick(Date.now());
  }

  /** Says which period is shown and whether it is current; called on each answer and every few seconds. */
  tick(now: number): void {
    const shown = this.shown;
    if (!shown) return;
    const age = now - shown.receivedAt;
    const stale = shown.failure !== undefined || age > STALE_AFTER_REFRESHES * shown.refreshMs;
    toggleClass(this.root, 'is-stale', stale);
    const words = `${PERIOD_WORDS[shown.period]} in ${shown.range}`;
    if (!stale) setText(this.status, `${words.charAt(0).toUpperCase()}${words.slice(1)} · updated ${clock(shown.receivedAt)}`);
    else
      setText(
        this.status,
        `⚠ ${shown.failure ? `Could not refresh (${shown.failure})` : 'Not refreshed lately'}: the figures below are ${words}, as of ${clock(
          shown.receivedAt,
        )} (${duration(age / 1000)} ago), not current.`,
      );
  }
}

function section(app: HistoryApp, axis: ReturnType<typeof chartAxis>): HTMLElement {
  const titleId = `period-app-${app.app}-title`;
  const servers = periodServerCards(app, axis);
  return el(
    'section',
    { className: 'app period-app', attrs: { id: `period-app-${app.app}`, 'aria-labelledby': titleId } },
    el('header', { className: 'app-head' }, el('h2', { text: app.app, attrs: { id: titleId } })),
    el('div', { className: 'period-grid period-cards' }, periodHealthCard(app, axis), ...periodSlowCards(app), periodExceptionsCard(app)),
    el('h3', { className: 'servers-title', text: 'Servers' }),
    servers.length > 0
      ? el('div', { className: 'period-grid period-servers' }, ...servers)
      : el('p', { className: 'empty', text: 'No server reported in this period.' }),
  );
}
