import { el, textNode } from '../dom.js';
import { bytes, percent } from '../format.js';
import type { HistoryApp, HistoryQueue } from '../period-data.js';
import { type ChartAxis, chartPoints } from './period-chart.js';
import { peakOf, periodMetric } from './period-metric.js';

/** A card per server with history, by id (`web-2` before `web-10`): CPU and memory used over the period, one point per bucket with data. */
export function periodServerCards(app: HistoryApp, axis: ChartAxis): HTMLElement[] {
  const servers = [...app.servers].sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
  return servers.map((server) => {
    const cpu = chartPoints(axis, server.series, (p) => p.cpu_avg);
    const memory = chartPoints(axis, server.series, (p) => p.memory_used_avg);
    return el(
      'article',
      { className: 'card period-server', attrs: { tabindex: '0', 'data-server': server.id } },
      el('h4', {}, el('bdi', { className: 'token', text: server.id })),
      periodMetric(
        'CPU',
        'cpu',
        axis,
        cpu,
        peakOf(server.series, (p) => p.cpu_max ?? p.cpu_avg),
        (v) => percent(Math.min(100, Math.max(0, v))),
        100,
      ),
      periodMetric(
        'Memory used',
        'ram',
        axis,
        memory,
        peakOf(server.series, (p) => p.memory_used_max ?? p.memory_used_avg),
        bytes,
      ),
    );
  });
}

/** A card per Quasar queue: its depth over the period. */
export function periodQueueCards(queues: readonly HistoryQueue[], axis: ChartAxis): HTMLElement[] {
  return queues.map((queue) =>
    el(
      'article',
      { className: 'card period-queue', attrs: { tabindex: '0', 'data-queue': queue.queue } },
      el('h4', {}, el('bdi', { className: 'token', text: queue.queue })),
      el('p', { className: 'identity' }, el('bdi', { className: 'token', text: queue.app }), textNode(` · ${queue.driver}`)),
      periodMetric(
        'Depth',
        'depth',
        axis,
        chartPoints(axis, queue.series, (p) => p.depth_avg),
        peakOf(queue.series, (p) => p.depth_max ?? p.depth_avg),
        (v) => String(Math.round(v)),
      ),
    ),
  );
}
