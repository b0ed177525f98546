import { el, pathNodes, setText, textNode } from '../dom.js';
import { clock, millis, NBSP } from '../format.js';
import type { SlowEntry } from '../protocol.js';
import type { AppState } from '../state.js';
import { hostStateText } from './host-state.js';
import { scrollHint } from './scroll-hint.js';
import { groupSlow, type SlowGroup } from './slow-groups.js';

/** Rows a card shows: the most frequent names of the kept window. */
export const SLOW_GROUPS_SHOWN = 15;

/** One of Laravel Pulse's slow cards: which kinds it groups, and its words. */
export interface SlowCardSpec {
  /** Card class (`slow`, `slow-queries`, `slow-outgoing`), also the element id's prefix. */
  id: string;
  title: string;
  kinds: ReadonlySet<string>;
  /** The first column's header: what the names are. */
  nameHeader: string;
  /** What the card counts, plural, for its empty text and its caption. */
  what: string;
}

/** Laravel Pulse's three slow cards. */
export const SLOW_CARDS = {
  requests: {
    id: 'slow',
    title: 'Slow requests and jobs',
    // `other` too: a kind a newer SDK added, which the bridge reads as other.
    kinds: new Set(['request', 'job', 'other']),
    nameHeader: 'Route or job',
    what: 'slow requests or jobs',
  },
  queries: { id: 'slow-queries', title: 'Slow queries', kinds: new Set(['query']), nameHeader: 'Query', what: 'slow queries' },
  outgoing: {
    id: 'slow-outgoing',
    title: 'Slow outgoing requests',
    kinds: new Set(['outgoing']),
    nameHeader: 'Request',
    what: 'slow outgoing requests',
  },
} satisfies Record<string, SlowCardSpec>;

const KIND_PREFIX: Record<string, string> = { job: 'job ', other: 'other ' };

function nameCell(group: SlowGroup): HTMLTableCellElement {
  const { newest } = group;
  const cell = el(
    'th',
    { attrs: { scope: 'row' } },
    el('span', { className: 'kind', text: KIND_PREFIX[newest.kind] ?? '' }),
    el('bdi', {}, ...pathNodes(group.label)),
  );
  // Where the query or call was made, when the SDK knows it (Laravel Pulse shows it under the statement).
  if (group.location) cell.append(el('span', { className: 'location' }, el('bdi', { text: group.location })));
  return cell;
}

function slowestCell(entry: SlowEntry): HTMLTableCellElement {
  const cell = el('td', {}, textNode(`${millis(entry.duration_ms)} (>${NBSP}${millis(entry.threshold_ms)})`));
  const host = hostStateText(entry.host);
  if (host) cell.append(el('span', { className: 'host-state', text: host }));
  return cell;
}

function latestCell(entry: SlowEntry): HTMLTableCellElement {
  return el(
    'td',
    {},
    textNode(entry.status === undefined ? '' : `${entry.status} `),
    entry.trace_id ? el('code', { text: entry.trace_id, attrs: { title: entry.trace_id } }) : textNode('—'),
    el(
      'span',
      { className: 'when' },
      textNode(`${clock(entry.timestamp)} on${NBSP}`),
      el('bdi', { className: 'token', text: entry.server_id }),
    ),
  );
}

/**
 * A slow card of the Live view: the app's kept slow entries of its kinds, grouped by name (count, the slowest with
 * the host at that moment, the newest with its status and trace id) instead of one row per entry.
 */
export class SlowWidget {
  readonly root: HTMLElement;
  private readonly scroller: HTMLDivElement;
  private readonly body: HTMLTableSectionElement;
  private readonly empty: HTMLParagraphElement;
  private readonly caption: HTMLParagraphElement;

  constructor(
    app: string,
    private readonly spec: SlowCardSpec,
  ) {
    const titleId = `${spec.id}-${app}`;
    this.body = el('tbody');
    this.empty = el('p', { className: 'empty', text: `No ${spec.what} seen yet.` });
    this.caption = el('p', { className: 'slow-window' });
    const columns = [spec.nameHeader, 'Count', 'Slowest', 'Latest'];
    const head = el('tr', {}, ...columns.map((c) => el('th', { text: c, attrs: { scope: 'col' } })));
    const table = el('table', {}, el('thead', {}, head), this.body);
    this.scroller = el('div', { className: 'table-scroll' }, table);
    this.root = el(
      'article',
      { className: `card ${spec.id}`, attrs: { tabindex: '0', 'aria-labelledby': titleId } },
      el('h3', { text: spec.title, attrs: { id: titleId } }),
      this.caption,
      this.scroller,
      scrollHint(this.scroller, table),
      this.empty,
    );
  }

  /** Called only when the app's slow entries changed; the kept window is bounded (SLOW_KEPT), so rows are rebuilt. */
  update(app: AppState): void {
    const { groups, entries, since } = groupSlow(app.slow, this.spec.kinds);
    this.empty.hidden = entries > 0;
    this.scroller.hidden = entries === 0;
    this.caption.hidden = entries === 0;
    const shown = groups.length > SLOW_GROUPS_SHOWN ? `, the ${SLOW_GROUPS_SHOWN} most frequent of ${groups.length} names` : '';
    const counted = `${entries}${NBSP}${entries === 1 ? 'entry' : 'entries'}`;
    if (since !== undefined) setText(this.caption, `${counted} since ${clock(since)}${shown}`);
    this.body.replaceChildren(
      ...groups
        .slice(0, SLOW_GROUPS_SHOWN)
        .map((group) =>
          el(
            'tr',
            {},
            nameCell(group),
            el('td', { className: 'count', text: String(group.count) }),
            slowestCell(group.slowest),
            latestCell(group.newest),
          ),
        ),
    );
  }
}
