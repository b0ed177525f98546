import { el, setText } from '../dom.js';
import { pluralize } from '../format.js';
import type { AppState, ServerState } from '../state.js';
import { ExceptionsCard } from './exceptions-card.js';
import { HealthCard } from './health-card.js';
import type { OffscreenUpdates } from './offscreen.js';
import { ServerCard } from './server-card.js';
import { SLOW_CARDS, SlowWidget } from './slow-widget.js';

/** One app: its health, slow cards (requests and jobs, queries, outgoing requests) and exceptions, then a card per server, keyed by server id. */
export class AppSection {
  readonly root: HTMLElement;
  private readonly counts: HTMLParagraphElement;
  private readonly health: HealthCard;
  /** Slow requests and jobs, beside the exceptions. */
  private readonly slow: SlowWidget;
  /** Slow queries and slow outgoing requests, on a grid of their own below. */
  private readonly clients: SlowWidget[];
  private readonly errors: ExceptionsCard;
  private readonly servers: HTMLDivElement;
  private readonly cards = new Map<string, ServerCard>();

  constructor(
    app: AppState,
    private readonly offscreen: OffscreenUpdates,
  ) {
    const titleId = `app-${app.name}-title`;
    this.counts = el('p', { className: 'app-counts' });
    this.health = new HealthCard(app.name);
    this.slow = new SlowWidget(app.name, SLOW_CARDS.requests);
    this.clients = [SLOW_CARDS.queries, SLOW_CARDS.outgoing].map((spec) => new SlowWidget(app.name, spec));
    this.errors = new ExceptionsCard(app.name);
    this.servers = el('div', { className: 'servers' });
    this.root = el(
      'section',
      { className: 'app', attrs: { id: `app-${app.name}`, 'aria-labelledby': titleId } },
      el(
        'header',
        { className: 'app-head' },
        el('h2', { text: app.name, attrs: { id: titleId } }),
        this.counts,
        el('a', { className: 'only-link', text: `only ${app.name}`, attrs: { href: `?app=${encodeURIComponent(app.name)}` } }),
      ),
      el('div', { className: 'app-cards' }, this.health.root, this.slow.root, this.errors.root),
      el('div', { className: 'client-cards' }, ...this.clients.map((card) => card.root)),
      el('h3', { className: 'servers-title', text: 'Servers' }),
      this.servers,
    );
    this.updateSlow(app);
    this.errors.update(app);
  }

  updateSummary(app: AppState): void {
    const stopped = app.stopped > 0 ? `, ${app.stopped} stopped` : '';
    setText(this.counts, `${pluralize(app.servers.size, 'server')}: ${app.online} online, ${app.lost} lost${stopped}`);
    this.health.update(app);
  }

  updateSlow(app: AppState): void {
    this.slow.update(app);
    for (const card of this.clients) card.update(app);
  }

  updateErrors(app: AppState): void {
    this.errors.update(app);
  }

  /** The set of servers changed: drop cards of forgotten servers, add new ones, and put them in order (moves, no rebuild). */
  syncServers(app: AppState, bridgeNow: number): void {
    for (const [id, card] of this.cards) {
      if (app.servers.has(id)) continue;
      this.offscreen.forget(card.root);
      card.root.remove();
      this.cards.delete(id);
    }
    let previous: Element | null = null;
    for (const id of app.order) {
      let card = this.cards.get(id);
      const server = app.servers.get(id);
      if (!server) continue;
      if (!card) {
        card = new ServerCard(server);
        card.update(server, bridgeNow);
        this.cards.set(id, card);
        this.offscreen.observe(card.root);
      }
      const expected: Element | null = previous ? previous.nextElementSibling : this.servers.firstElementChild;
      if (expected !== card.root) this.servers.insertBefore(card.root, expected);
      previous = card.root;
    }
  }

  updateServer(server: ServerState, bridgeNow: () => number): void {
    const card = this.cards.get(server.id);
    if (card) this.offscreen.write(card.root, () => card.update(server, bridgeNow()));
  }
}
