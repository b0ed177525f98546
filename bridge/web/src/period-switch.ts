import { el, setAttr } from './dom.js';
import { addressWith, type HistoryPeriod, PERIOD_LABELS, PERIODS, SORTS, type Sort, type ViewChoice, viewChoice } from './period.js';
import { PeriodLoader } from './period-loader.js';
import { PeriodView } from './render/period-view.js';

const SORT_LABELS: Record<Sort, string> = { count: 'count', max: 'slowest' };
/** How often the view re-says the age of what it shows. */
const AGE_CHECK_MS = 5_000;

/**
 * The period selector (Live, 1 h, 6 h, 24 h, 7 d) and the view it switches to. The choice lives in the address:
 * the selector's entries are plain links (Tab, Enter, open in a new tab all work); a plain click is taken over to
 * push the address without reloading, and back/forward (popstate) switch the view back.
 */
export class PeriodSwitch {
  /** The selector, for the page's header. */
  readonly selector: HTMLElement;
  private readonly sortNav: HTMLElement;
  private readonly periodLinks = new Map<HistoryPeriod | 'live', HTMLAnchorElement>();
  private readonly sortLinks = new Map<Sort, HTMLAnchorElement>();
  private readonly view: PeriodView;
  private readonly loader: PeriodLoader;
  private choice: ViewChoice | undefined;

  constructor(
    token: string | undefined,
    private readonly live: HTMLElement,
    private readonly apps: readonly string[],
    onRefused: () => void,
  ) {
    for (const period of PERIODS) this.periodLinks.set(period, el('a', { text: PERIOD_LABELS[period] }));
    for (const sort of SORTS) this.sortLinks.set(sort, el('a', { text: SORT_LABELS[sort] }));
    this.selector = el('nav', { className: 'period-nav', attrs: { 'aria-label': 'Period' } }, ...this.periodLinks.values());
    this.sortNav = el(
      'nav',
      { className: 'period-sort', attrs: { 'aria-label': 'Sort slow entries' } },
      el('span', { text: 'Sort slow entries by ' }),
      ...this.sortLinks.values(),
    );
    this.view = new PeriodView(this.sortNav);
    live.after(this.view.root);
    this.loader = new PeriodLoader(token, {
      loaded: (period, data, receivedAt) => this.view.show(period, data, receivedAt),
      failed: (period, reason, retrying) => this.view.failed(period, reason, retrying),
      refused: () => {
        this.loader.stop();
        onRefused();
      },
    });
    for (const nav of [this.selector, this.sortNav]) nav.addEventListener('click', (e) => this.follow(e));
    addEventListener('popstate', () => this.apply(viewChoice(location.search)));
    setInterval(() => this.view.tick(Date.now()), AGE_CHECK_MS);
    this.apply(viewChoice(location.search));
  }

  private follow(event: MouseEvent): void {
    const link = (event.target as Element).closest('a');
    // A modified click (new tab, new window) is the browser's.
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    const next = viewChoice(new URL(link.href).search);
    if (next.period === this.choice?.period && next.sort === this.choice.sort) return;
    history.pushState(null, '', addressWith(location, next));
    this.apply(next);
  }

  private apply(choice: ViewChoice): void {
    const previous = this.choice;
    this.choice = choice;
    this.updateLinks(choice);
    const inPeriod = choice.period !== 'live';
    this.live.hidden = inPeriod;
    this.view.root.hidden = !inPeriod;
    if (choice.period === 'live') {
      this.loader.stop();
      return;
    }
    if (previous?.period === choice.period && previous.sort === choice.sort) return;
    // A new sort keeps the figures on screen while the new order loads; a new period does not.
    if (previous?.period !== choice.period) this.view.loading(choice.period);
    this.loader.show({ period: choice.period, sort: choice.sort, apps: this.apps });
  }

  /** Each link points at the address it switches to (keeping `app=` and the other choice), the current one marked. */
  private updateLinks(choice: ViewChoice): void {
    for (const [period, link] of this.periodLinks) this.mark(link, { ...choice, period }, period === choice.period ? 'page' : undefined);
    for (const [sort, link] of this.sortLinks) this.mark(link, { ...choice, sort }, sort === choice.sort ? 'true' : undefined);
  }

  /** `current`: the link's `aria-current` (`page` for the view shown, `true` for the order used), or none. */
  private mark(link: HTMLAnchorElement, target: ViewChoice, current: 'page' | 'true' | undefined): void {
    setAttr(link, 'href', addressWith(location, target));
    if (current) setAttr(link, 'aria-current', current);
    else link.removeAttribute('aria-current');
  }
}
