import { el, textNode } from '../dom.js';
import { dateTime, pluralize } from '../format.js';
import type { HistoryApp, HistoryExceptionGroup } from '../period-data.js';
import { exceptionRow } from './exceptions-card.js';

const SHOWN = 50;
/** Servers named per group; the rest are counted. */
const SERVERS_NAMED = 5;

/** Exceptions of one app in a period, grouped by fingerprint: type, message, count, latest, the servers it hit. */
export function periodExceptionsCard(app: HistoryApp): HTMLElement {
  const titleId = `period-errors-${app.app}`;
  const groups = app.exceptions;
  const root = el(
    'article',
    { className: 'card errors period-errors', attrs: { tabindex: '0', 'aria-labelledby': titleId } },
    el('h3', { text: 'Exceptions', attrs: { id: titleId } }),
  );
  if (groups.length === 0) root.append(el('p', { className: 'empty', text: 'No exceptions in this period.' }));
  else root.append(el('ol', { className: 'error-groups' }, ...groups.slice(0, SHOWN).map(item)));
  const more = Math.max(app.exception_groups, groups.length) - Math.min(groups.length, SHOWN);
  if (more > 0) root.append(el('p', { className: 'more', text: `and ${pluralize(more, 'more group')}` }));
  if (app.exceptions_other.count > 0)
    root.append(
      el('p', {
        className: 'more period-folded',
        text: `and ${pluralize(app.exceptions_other.count, 'exception')} past the cap of distinct fingerprints, counted but not grouped`,
      }),
    );
  return root;
}

function item(group: HistoryExceptionGroup): HTMLLIElement {
  const named = group.servers.slice(0, SERVERS_NAMED);
  const servers: Node[] = [];
  named.forEach((id, i) => {
    if (i > 0) servers.push(textNode(', '));
    servers.push(el('bdi', { className: 'token', text: id }));
  });
  if (group.servers.length > named.length) servers.push(textNode(` and ${group.servers.length - named.length} more`));
  return exceptionRow(
    group,
    [textNode(`latest ${dateTime(group.last_seen)}${servers.length > 0 ? ' on ' : ''}`), ...servers],
    'period-error',
  );
}
