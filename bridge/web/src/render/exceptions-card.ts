import { el, pathNodes, setText, textNode } from '../dom.js';
import { dateTime, pluralize } from '../format.js';
import type { AppState, ErrorGroup } from '../state.js';

const SHOWN = 10;

/** Exceptions grouped by fingerprint, most frequent first: type, message, count and the latest occurrence. */
export class ExceptionsCard {
  readonly root: HTMLElement;
  private readonly list: HTMLOListElement;
  private readonly more: HTMLParagraphElement;
  private readonly empty: HTMLParagraphElement;

  constructor(app: string) {
    const titleId = `errors-${app}`;
    this.list = el('ol', { className: 'error-groups' });
    this.more = el('p', { className: 'more' });
    this.empty = el('p', { className: 'empty', text: 'No exceptions in the last hour.' });
    this.root = el(
      'article',
      { className: 'card errors', attrs: { tabindex: '0', 'aria-labelledby': titleId } },
      el('h3', { text: 'Exceptions', attrs: { id: titleId } }),
      this.list,
      this.more,
      this.empty,
    );
  }

  update(app: AppState): void {
    const groups = [...app.errors.values()].sort((a, b) => b.count - a.count || b.latest - a.latest);
    this.empty.hidden = groups.length > 0;
    this.more.hidden = groups.length <= SHOWN;
    setText(this.more, `and ${pluralize(groups.length - SHOWN, 'more group')}`);
    this.list.replaceChildren(...groups.slice(0, SHOWN).map(item));
  }
}

function item(group: ErrorGroup) {
  return exceptionRow(group, [
    textNode(`latest ${dateTime(group.latest)} on `),
    el('bdi', { className: 'token', text: group.serverId }),
    ...(group.route ? [textNode(' · '), el('bdi', { className: 'token' }, ...pathNodes(group.route))] : []),
  ]);
}

/** One exception group's row, Live or in a period: its type and count, its message, then `meta` (when and where) and its fingerprint. */
export function exceptionRow(
  group: { type: string; count: number; message: string; fingerprint: string },
  meta: readonly Node[],
  className?: string,
): HTMLLIElement {
  return el(
    'li',
    className ? { className } : {},
    el(
      'p',
      { className: 'error-head' },
      el('strong', { className: 'error-type', text: group.type }),
      el('span', { className: 'count', text: ` × ${group.count}` }),
    ),
    el('p', { className: 'error-message', text: group.message }),
    el('p', { className: 'error-meta' }, ...meta, textNode(` · #${group.fingerprint.slice(0, 8)}`)),
  );
}
