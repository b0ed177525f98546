import { el, pathNodes, textNode } from '../dom.js';
import { clock, millis, NBSP } from '../format.js';
import type { SlowEntry } from '../protocol.js';
import type { AppState } from '../state.js';
import { scrollHint } from './scroll-hint.js';

function what(entry: SlowEntry): string {
  if (entry.route) return entry.method ? `${entry.method} ${entry.route}` : entry.route;
  return entry.name;
}

const COLUMNS = ['Route or job', 'Duration', 'Status', 'Trace id', 'When'];

/** SlowRequestWidget: the latest slow requests and jobs, newest first, with route, duration, status and trace id. */
export class SlowWidget {
  readonly root: HTMLElement;
  private readonly scroller: HTMLDivElement;
  private readonly body: HTMLTableSectionElement;
  private readonly empty: HTMLParagraphElement;

  constructor(app: string) {
    const titleId = `slow-${app}`;
    this.body = el('tbody');
    this.empty = el('p', { className: 'empty', text: 'No slow requests or jobs seen yet.' });
    const head = el('tr', {}, ...COLUMNS.map((c) => el('th', { text: c, attrs: { scope: 'col' } })));
    const table = el('table', {}, el('thead', {}, head), this.body);
    this.scroller = el('div', { className: 'table-scroll' }, table);
    this.root = el(
      'article',
      { className: 'card slow', attrs: { tabindex: '0', 'aria-labelledby': titleId } },
      el('h3', { text: 'Slow requests and jobs', attrs: { id: titleId } }),
      this.scroller,
      scrollHint(this.scroller, table),
      this.empty,
    );
  }

  /** Called only when the list changed; it holds at most SLOW_KEPT rows, so they are rebuilt. */
  update(app: AppState): void {
    this.empty.hidden = app.slow.length > 0;
    this.scroller.hidden = app.slow.length === 0;
    this.body.replaceChildren(
      ...app.slow.map(({ entry }) =>
        el(
          'tr',
          {},
          el(
            'th',
            { attrs: { scope: 'row' } },
            el('span', { className: 'kind', text: entry.kind === 'job' ? 'job ' : '' }),
            el('bdi', {}, ...pathNodes(what(entry))),
          ),
          el('td', { text: `${millis(entry.duration_ms)} (>${NBSP}${millis(entry.threshold_ms)})` }),
          el('td', { text: entry.status === undefined ? '—' : String(entry.status) }),
          el('td', {}, entry.trace_id ? el('code', { text: entry.trace_id, attrs: { title: entry.trace_id } }) : textNode('—')),
          el('td', {}, textNode(`${clock(entry.timestamp)} on${NBSP}`), el('bdi', { className: 'token', text: entry.server_id })),
        ),
      ),
    );
  }
}
