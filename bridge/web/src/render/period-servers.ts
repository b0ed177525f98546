import { el, textNode } from '../dom.js';
import { bytes, millis, percent } from '../format.js';
import type { HistoryApp, HistoryQueue } from '../period-data.js';
import type { ChartAxis } from './period-chart.js';
import { averagedMetric } from './period-metric.js';

/**
 * A card per server with history, by id (`web-2` before `web-10`): CPU, memory used and the event loop's p99 delay
 * over the period, one point per bucket with data (a runtime without an event loop, Go, says "not reported").
 */
export function periodServerCards(app: HistoryApp, axis: ChartAxis): HTMLElement[] {
  const servers = [...app.servers].sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
  return servers.map((server) =>
    el(
      'article',
      { className: 'card period-server', attrs: { tabindex: '0', 'data-server': server.id } },
      el('h4', {}, el('bdi', { className: 'token', text: server.id })),
      averagedMetric(
        'CPU',
        'cpu',
        axis,
        server.series,
        (p) => p.cpu_avg,
        (p) => p.cpu_max,
        (v) => percent(Math.min(100, Math.max(0, v))),
        100,
      ),
      averagedMetric(
        'Memory used',
        'ram',
        axis,
        server.series,
        (p) => p.memory_used_avg,
        (p) => p.memory_used_max,
        bytes,
      ),
      averagedMetric(
        'Loop p99',
        'loop',
        axis,
        server.series,
        (p) => p.loop_p99_avg_ms,
        (p) => p.loop_p99_max_ms,
        millis,
      ),
    ),
  );
}

/** A card per Quasar queue: its depth over the period. */
export function periodQueueCards(queues: readonly HistoryQueue[], axis: ChartAxis): HTMLElement[] {
  return queues.map((queue) =>
    el(
      'article',
      { className: 'card period-queue', attrs: { tabindex: '0', 'data-queue': queue.queue } },
      el('h4', {}, el('bdi', { className: 'token', text: queue.queue })),
      el('p', { className: 'identity' }, el('bdi', { className: 'token', text: queue.app }), textNode(` · ${queue.driver}`)),
      averagedMetric(
        'Depth',
        'depth',
        axis,
        queue.series,
        (p) => p.depth_avg,
        (p) => p.depth_max,
        (v) => String(Math.round(v)),
      ),
    ),
  );
}
