import { el } from '../dom.js';

/** Each watched element's check; weak, so a removed card's elements are not kept alive by it. */
const checks = new WeakMap<Element, () => void>();
/** One observer for every hint: a table's overflow changes with its container's width and with its rows. */
const observer = new ResizeObserver((entries) => {
  for (const entry of entries) checks.get(entry.target)?.();
});

/**
 * A note under a table that is wider than its card (a phone), shown only while it is: without it, the columns past
 * the edge (trace id, time) are cut off with no sign that they are there. The scroller's edge shadows (CSS) show
 * it too; this says it in words.
 */
export function scrollHint(scroller: HTMLElement, table: HTMLElement): HTMLParagraphElement {
  const hint = el('p', { className: 'scroll-hint', text: 'Scroll the table sideways for more columns →' });
  hint.hidden = true;
  const check = () => {
    hint.hidden = scroller.scrollWidth <= scroller.clientWidth;
  };
  for (const target of [scroller, table]) {
    checks.set(target, check);
    observer.observe(target);
  }
  return hint;
}
