import { el, setText, toggleClass } from '../dom.js';
import { perMinute } from '../format.js';
import type { AppState } from '../state.js';

type Level = 'good' | 'warn' | 'bad' | 'stopped';
const LEVELS: readonly Level[] = ['good', 'warn', 'bad', 'stopped'];

/**
 * The word for the bridge's score. An app whose servers all stopped gracefully scores 100 on the bridge (a deploy
 * gap is not an outage, so no alert fires), but nothing of it runs: the page says stopped, with no score.
 */
function verdict(app: AppState): { word: string; level: Level } {
  if (app.online === 0 && app.lost === 0 && app.stopped > 0) return { word: '■ Stopped', level: 'stopped' };
  const score = app.health.score;
  if (score >= 90) return { word: '✓ Healthy', level: 'good' };
  if (score >= 60) return { word: '⚠ Degraded', level: 'warn' };
  return { word: '✕ Unhealthy', level: 'bad' };
}

/** AppHealthCard: the bridge's 0–100 score, a word for it, and the reasons that took points off. */
export class HealthCard {
  readonly root: HTMLElement;
  private readonly score: HTMLSpanElement;
  private readonly scoreMax: HTMLSpanElement;
  private readonly word: HTMLSpanElement;
  private readonly counts: HTMLParagraphElement;
  private readonly rates: HTMLParagraphElement;
  private readonly reasons: HTMLUListElement;
  private lastReasons = '';

  constructor(app: string) {
    const titleId = `health-${app}`;
    this.score = el('span', { className: 'score' });
    this.scoreMax = el('span', { className: 'score-max', text: '/ 100' });
    this.word = el('span', { className: 'verdict' });
    this.counts = el('p', { className: 'counts' });
    this.rates = el('p', { className: 'rates' });
    this.reasons = el('ul', { className: 'reasons', attrs: { 'aria-label': 'What took points off' } });
    this.root = el(
      'article',
      { className: 'card health', attrs: { tabindex: '0', 'aria-labelledby': titleId } },
      el('h3', { text: 'Health', attrs: { id: titleId } }),
      el('p', { className: 'score-line' }, this.score, this.scoreMax, this.word),
      this.counts,
      this.rates,
      this.reasons,
    );
  }

  update(app: AppState): void {
    const { word, level } = verdict(app);
    const scored = level !== 'stopped';
    this.score.hidden = !scored;
    this.scoreMax.hidden = !scored;
    setText(this.score, String(app.health.score));
    setText(this.word, word);
    for (const l of LEVELS) toggleClass(this.root, `is-${l}`, l === level);
    setText(this.counts, `${app.online} online · ${app.lost} lost${app.stopped > 0 ? ` · ${app.stopped} stopped` : ''}`);
    setText(this.rates, `${perMinute(app.slowPerMinute, 'slow')} · ${perMinute(app.errorsPerMinute, 'exceptions')}`);
    const reasons = app.health.reasons.join('\n');
    if (reasons === this.lastReasons) return;
    this.lastReasons = reasons;
    const items = app.health.reasons.length > 0 ? app.health.reasons : ['Nothing took points off.'];
    this.reasons.replaceChildren(...items.map((r) => el('li', { text: r })));
  }
}
