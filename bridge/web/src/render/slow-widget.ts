import { el } from '../dom.js';
import { clock, millis } from '../format.js';
import type { SlowEntry } from '../protocol.js';
import type { AppState } from '../state.js';

function what(entry: SlowEntry): string {
  if (entry.route) return entry.method ? `${entry.method} ${entry.route}` : entry.route;
  return entry.name;
}

const COLUMNS = ['Route or job', 'Duration', 'Status', 'Trace id', 'When'];

/** SlowRequestWidget: the latest slow requests and jobs, newest first, with route, duration, status and trace id. */
export class SlowWidget {
  readonly root: HTMLElement;
  private readonly body: HTMLTableSectionElement;
  private readonly empty: HTMLParagraphElement;

  constructor(app: string) {
    const titleId = `slow-${app}`;
    this.body = el('tbody');
    this.empty = el('p', { className: 'empty', text: 'No slow requests or jobs seen yet.' });
    const head = el('tr', {}, ...COLUMNS.map((c) => el('th', { text: c, attrs: { scope: 'col' } })));
    this.root = el(
      'article',
      { className: 'card slow', attrs: { tabindex: '0', 'aria-labelledby': titleId } },
      el('h3', { text: 'Slow requests and jobs', attrs: { id: titleId } }),
      el('div', { className: 'table-scroll' }, el('table', {}, el('thead', {}, head), this.body)),
      this.empty,
    );
  }

  /** Called only when the list changed; it holds at most SLOW_KEPT rows, so they are rebuilt. */
  update(app: AppState): void {
    this.empty.hidden = app.slow.length > 0;
    this.body.replaceChildren(
      ...app.slow.map(({ entry }) =>
        el(
          'tr',
          {},
          el(
            'th',
            { attrs: { scope: 'row' } },
            el('span', { className: 'kind', text: entry.kind === 'job' ? 'job ' : '' }),
            document.createTextNode(what(entry)),
          ),
          el('td', { text: `${millis(entry.duration_ms)} (> ${millis(entry.threshold_ms)})` }),
          el('td', { text: entry.status === undefined ? '—' : String(entry.status) }),
          el(
            'td',
            {},
            entry.trace_id ? el('code', { text: entry.trace_id, attrs: { title: entry.trace_id } }) : document.createTextNode('—'),
          ),
          el('td', { text: `${clock(entry.timestamp)} on ${entry.server_id}` }),
        ),
      ),
    );
  }
}
