import { el, pathNodes } from '../dom.js';
import { millis, pluralize } from '../format.js';
import type { HistoryApp, HistorySlowGroup, SlowKind } from '../period-data.js';

/** Rows shown per kind; the bridge caps distinct names per bucket, but a week has many buckets. */
const SHOWN = 100;

interface KindText {
  title: string;
  column: string;
  empty?: string;
}

/** Requests and jobs always have a card (an empty one says so); the other kinds only when the period has some. */
const KINDS: [SlowKind, KindText][] = [
  ['request', { title: 'Slow requests', column: 'Route', empty: 'No slow requests in this period.' }],
  ['job', { title: 'Slow jobs', column: 'Job', empty: 'No slow jobs in this period.' }],
  ['query', { title: 'Slow queries', column: 'Query' }],
  ['outgoing', { title: 'Slow outgoing requests', column: 'Destination' }],
  ['other', { title: 'Other slow entries', column: 'Name' }],
];

/** The slow cards of one app in a period: one per kind, grouped by name, in the bridge's order (`sort=`). */
export function periodSlowCards(app: HistoryApp): HTMLElement[] {
  const cards: HTMLElement[] = [];
  for (const [kind, text] of KINDS) {
    const groups = app.slow.filter((group) => group.kind === kind);
    if (groups.length === 0 && text.empty === undefined) continue;
    cards.push(card(app.app, kind, text, groups));
  }
  const unlisted = app.slow_groups - app.slow.length;
  if (unlisted > 0)
    cards.push(
      el('p', { className: 'more period-folded', text: `and ${pluralize(unlisted, 'more slow name')} that the bridge did not list` }),
    );
  if (app.slow_other.count > 0)
    cards.push(
      el('p', {
        className: 'more period-folded',
        text: `and ${app.slow_other.count} more slow ${app.slow_other.count === 1 ? 'entry' : 'entries'} under names past the cap of distinct names: counted, not named`,
      }),
    );
  return cards;
}

function card(app: string, kind: SlowKind, text: KindText, groups: HistorySlowGroup[]): HTMLElement {
  const titleId = `period-slow-${kind}-${app}`;
  const head = el('tr', {}, ...[text.column, 'Count', 'Slowest', 'Average'].map((c) => el('th', { text: c, attrs: { scope: 'col' } })));
  const table = el('table', {}, el('thead', {}, head), el('tbody', {}, ...groups.slice(0, SHOWN).map(row)));
  const scroller = el('div', { className: 'table-scroll' }, table);
  const root = el(
    'article',
    { className: 'card period-slow', attrs: { tabindex: '0', 'aria-labelledby': titleId, 'data-kind': kind } },
    el('h3', { text: text.title, attrs: { id: titleId } }),
    scroller,
  );
  scroller.hidden = groups.length === 0;
  if (groups.length === 0) root.append(el('p', { className: 'empty', text: text.empty ?? '' }));
  if (groups.length > SHOWN) root.append(el('p', { className: 'more', text: `and ${pluralize(groups.length - SHOWN, 'more name')}` }));
  return root;
}

function row(group: HistorySlowGroup): HTMLTableRowElement {
  return el(
    'tr',
    { className: 'period-slow-row' },
    el('th', { attrs: { scope: 'row' } }, el('bdi', { className: 'slow-name' }, ...pathNodes(group.name))),
    el('td', { className: 'slow-count', text: String(group.count) }),
    el('td', { className: 'slow-max', text: millis(group.max_ms) }),
    el('td', { className: 'slow-avg', text: millis(group.avg_ms) }),
  );
}
