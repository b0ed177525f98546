import { probeAccess, storedToken, storeToken } from './auth.js';
import { type ConnectionState, PulseConnection } from './connection.js';
import { byId, el, textNode } from './dom.js';
import { appFilter, streamQuery } from './filter.js';
import { pluralize } from './format.js';
import { HistoryLoader } from './history.js';
import { PeriodSwitch } from './period-switch.js';
import {
  EVENTS,
  type PulseErrorEvent,
  type PulseSlowEvent,
  type PulseStatusEvent,
  type SystemPulseDeltaEvent,
  type SystemPulseEvent,
} from './protocol.js';
import { Banners } from './render/banners.js';
import { PulseView } from './render/view.js';
import { PulseStore } from './state.js';

/**
 * The measure the page records for each painted batch of events (User Timing, visible in DevTools and read by
 * the browser test): from the oldest event in the batch to the moment after the frame that shows it.
 */
const PAINT_MEASURE = 'pulse:event-to-paint';
const MEASURES_KEPT = 1_000;

function dashboard(token: string | undefined, onRefused: () => void): void {
  const store = new PulseStore();
  const view = new PulseView(byId('apps'), byId('app-nav'), byId('summary'));
  const banners = new Banners(byId('banners'));
  const history = new HistoryLoader(token, {
    slow: (app, entries) => {
      store.loadSlowHistory(app, entries);
      schedule();
    },
    errors: (app, groups) => {
      store.loadErrorHistory(app, groups);
      schedule();
    },
  });

  // Events only change the store; the DOM is written once per animation frame, for all of them.
  let frame = 0;
  let oldestPending: number | undefined;
  let measures = 0;
  function schedule(receivedAt?: number): void {
    if (receivedAt !== undefined) oldestPending ??= receivedAt;
    if (frame !== 0) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      const start = oldestPending;
      oldestPending = undefined;
      if (store.hasChanges()) {
        const changes = store.takeChanges();
        if (changes.status) banners.setRedis(store.redisUp, store.redisError, store.poll);
        view.render(store, changes);
      }
      // A task queued from the frame callback runs after that frame is painted.
      if (start !== undefined) setTimeout(() => recordPaint(start), 0);
    });
  }
  function recordPaint(start: number): void {
    if (++measures > MEASURES_KEPT) {
      performance.clearMeasures(PAINT_MEASURE);
      measures = 1;
    }
    performance.measure(PAINT_MEASURE, { start, end: performance.now() });
  }

  // The bridge validates what it sends; an event that still cannot be read is skipped, counted, and said once.
  const unreadable = new Map<string, number>();
  function onEvent(name: string, data: string, receivedAt: number): void {
    try {
      apply(name, JSON.parse(data));
    } catch (err) {
      const count = (unreadable.get(name) ?? 0) + 1;
      unreadable.set(name, count);
      if (count === 1)
        console.warn(`pulse: skipped an unreadable ${name} event (${(err as Error).message}); further ones are skipped silently`);
      return;
    }
    schedule(receivedAt);
  }

  function apply(name: string, payload: unknown): void {
    switch (name) {
      case EVENTS.systemPulse: {
        const event = payload as SystemPulseEvent;
        store.applySystemPulse(event);
        for (const app of event.apps) history.want(app.app);
        break;
      }
      case EVENTS.systemPulseDelta: {
        const event = payload as SystemPulseDeltaEvent;
        store.applySystemPulseDelta(event);
        for (const app of event.apps) history.want(app.app);
        break;
      }
      case EVENTS.slow:
        store.applySlow(payload as PulseSlowEvent);
        break;
      case EVENTS.error:
        store.applyError(payload as PulseErrorEvent);
        break;
      case EVENTS.status: {
        const status = payload as PulseStatusEvent;
        store.setRedis(status.redis_up, status.error);
        store.setPoll(status);
        break;
      }
    }
  }

  const connection = new PulseConnection(
    token,
    {
      event: onEvent,
      state: (state: ConnectionState) => {
        banners.setConnection(state);
        if (state === 'refused') {
          connection.stop();
          onRefused();
        }
      },
    },
    streamQuery(appFilter(location.search)),
  );
  connection.start();

  // "Lost for 42 s" moves with the clock, between events too.
  setInterval(() => {
    store.touchTimedServers();
    if (store.hasChanges()) schedule();
  }, 1_000);
}

function showLogin(message: string): void {
  const login = byId('login');
  const form = byId<HTMLFormElement>('login-form');
  const input = byId<HTMLInputElement>('login-token');
  const error = byId('login-error');
  login.hidden = false;
  byId('apps').hidden = true;
  byId('summary').textContent = 'Sign in to see the live feed.';
  error.textContent = message;
  input.focus();
  form.onsubmit = async (e) => {
    // The token goes to sessionStorage, never into the address bar: the form is never submitted.
    e.preventDefault();
    const token = input.value.trim();
    if (token === '') return;
    const probe = await probeAccess(token);
    if (probe.access === 'refused' || probe.access === 'throttled') {
      error.textContent =
        probe.access === 'refused'
          ? 'The bridge refused that token.'
          : `Too many wrong tokens from this address: try again in ${pluralize(probe.retryAfterSeconds ?? 1, 'second')}.`;
      input.select();
      return;
    }
    storeToken(token);
    input.value = '';
    error.textContent = '';
    login.hidden = true;
    byId('apps').hidden = false;
    start(token);
  };
}

function start(token: string | undefined): void {
  const apps = appFilter(location.search);
  showFilter(apps);
  const refused = () => {
    storeToken(undefined);
    location.reload();
  };
  // Live keeps its stream while a period is shown, so that switching back is instant.
  dashboard(token, refused);
  const periods = new PeriodSwitch(token, byId('apps'), apps, refused);
  byId('app-nav').before(periods.selector);
}

/** With `?app=a,b` the page asks the stream for those apps only, and says so with a way back to all. */
function showFilter(apps: readonly string[]): void {
  if (apps.length === 0) return;
  const note = el('p', { className: 'filter-note' }, textNode(`Showing ${apps.join(', ')} only · `));
  note.append(el('a', { text: 'show all apps', attrs: { href: location.pathname } }));
  byId('app-nav').before(note);
}

async function boot(): Promise<void> {
  const token = storedToken();
  const probe = await probeAccess(token);
  if (probe.access === 'refused') {
    storeToken(undefined);
    showLogin(token ? 'The stored token was refused.' : '');
    return;
  }
  if (probe.access === 'throttled') {
    showLogin(`Too many wrong tokens from this address: try again in ${pluralize(probe.retryAfterSeconds ?? 1, 'second')}.`);
    return;
  }
  start(token);
}

void boot();
