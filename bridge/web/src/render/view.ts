import { el, setText } from '../dom.js';
import { clock, pluralize } from '../format.js';
import type { Changes, PulseStore } from '../state.js';
import { AppSection } from './app-section.js';
import { OffscreenUpdates } from './offscreen.js';

/** The grid of apps, the apps' navigation and the summary line; applies a batch of changes to the DOM. */
export class PulseView {
  private readonly sections = new Map<string, AppSection>();
  private readonly offscreen = new OffscreenUpdates();

  constructor(
    private readonly container: HTMLElement,
    private readonly nav: HTMLElement,
    private readonly summary: HTMLElement,
  ) {}

  render(store: PulseStore, changes: Changes): void {
    const now = store.bridgeNow();
    if (changes.structure.size > 0) this.syncApps(store, changes, now);
    for (const name of changes.apps) {
      const app = store.apps.get(name);
      if (app) this.sections.get(name)?.updateSummary(app);
    }
    const bridgeNow = () => store.bridgeNow();
    for (const server of changes.servers) this.sections.get(server.app)?.updateServer(server, bridgeNow);
    for (const name of changes.slow) {
      const app = store.apps.get(name);
      if (app) this.sections.get(name)?.updateSlow(app);
    }
    for (const name of changes.errors) {
      const app = store.apps.get(name);
      if (app) this.sections.get(name)?.updateErrors(app);
    }
    this.updateSummary(store);
  }

  private syncApps(store: PulseStore, changes: Changes, now: number): void {
    for (const [name, section] of this.sections) {
      if (store.apps.has(name)) continue;
      section.root.remove();
      this.sections.delete(name);
    }
    const names = [...store.apps.keys()].sort();
    for (const name of names) {
      const app = store.apps.get(name);
      if (!app) continue;
      let section = this.sections.get(name);
      if (!section) {
        section = new AppSection(app, this.offscreen);
        this.sections.set(name, section);
        changes.apps.add(name);
      }
      if (changes.structure.has(name)) section.syncServers(app, now);
      this.container.append(section.root);
    }
    this.nav.replaceChildren(...names.map((name) => el('a', { text: name, attrs: { href: `#app-${name}` } })));
  }

  private updateSummary(store: PulseStore): void {
    let online = 0;
    let lost = 0;
    let stopped = 0;
    for (const app of store.apps.values()) {
      online += app.online;
      lost += app.lost;
      stopped += app.stopped;
    }
    const apps = pluralize(store.apps.size, 'app');
    const servers = `${pluralize(online, 'server')} online · ${lost} lost${stopped > 0 ? ` · ${stopped} stopped` : ''}`;
    const updated = store.pulseAt > 0 ? ` · updated ${clock(store.pulseAt)}` : '';
    setText(this.summary, `${apps} · ${servers}${updated}`);
  }
}
