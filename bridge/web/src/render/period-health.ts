import { el } from '../dom.js';
import type { HistoryApp } from '../period-data.js';
import { type ChartAxis, chartPoints } from './period-chart.js';
import { peakOf, periodMetric } from './period-metric.js';

/**
 * One app's health over a period: its score (0–100, each bucket's average over its polls) with the lowest it fell
 * to, and the most servers online and lost at once. Buckets without a score are gaps, never 0.
 */
export function periodHealthCard(app: HistoryApp, axis: ChartAxis): HTMLElement {
  const titleId = `period-health-${app.app}`;
  return el(
    'article',
    { className: 'card period-health', attrs: { tabindex: '0', 'aria-labelledby': titleId } },
    el('h3', { text: 'Health', attrs: { id: titleId } }),
    periodMetric(
      'Score',
      'health',
      axis,
      chartPoints(axis, app.health, (b) => b.health),
      peakOf(app.health, (b) => b.health, Math.min),
      (v) => String(Math.round(v)),
      100,
      'lowest',
    ),
    el('p', {
      className: 'period-health-servers',
      text:
        app.health.length === 0
          ? 'Servers: not reported'
          : `Most servers at once: ${peakOf(app.health, (b) => b.online)} online, ${peakOf(app.health, (b) => b.lost)} lost`,
    }),
  );
}
