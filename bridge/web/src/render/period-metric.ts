import { el } from '../dom.js';
import { type ChartAxis, type ChartPoint, chartPoints, periodChart } from './period-chart.js';

/**
 * One figure over a period: its name, the line, and the latest and peak values in words (the line is decorative).
 * `peak` is the largest bucket maximum, which may exceed every plotted average; the line is scaled to `fullScale`
 * (100 for a percentage) or else to the peak. A figure whose worst is its smallest (a health score) says so with
 * `peakWord` (`lowest`).
 */
export function periodMetric(
  label: string,
  className: string,
  axis: ChartAxis,
  points: readonly ChartPoint[],
  peak: number | undefined,
  format: (value: number) => string,
  fullScale?: number,
  peakWord = 'peak',
): HTMLElement {
  const latest = points.at(-1);
  const figures =
    latest === undefined ? 'not reported' : `latest ${format(latest.value)}${peak === undefined ? '' : ` · ${peakWord} ${format(peak)}`}`;
  const scale = fullScale ?? Math.max(peak ?? 0, ...points.map((p) => p.value));
  return el(
    'div',
    { className: `period-metric ${className}` },
    el('span', { className: 'period-metric-label', text: label }),
    periodChart(className, axis, points, scale),
    el('span', { className: 'period-metric-figures', text: figures }),
  );
}

/**
 * The largest of the present values (or, with `pick` = `Math.min`, the smallest), or undefined when none is
 * (unknown, never 0).
 */
export function peakOf<T>(
  series: readonly T[],
  value: (point: T) => number | null | undefined,
  pick: (a: number, b: number) => number = Math.max,
): number | undefined {
  let peak: number | undefined;
  for (const point of series) {
    const v = value(point);
    if (v !== null && v !== undefined && Number.isFinite(v)) peak = peak === undefined ? v : pick(peak, v);
  }
  return peak;
}

/**
 * A figure kept per bucket as an average and a maximum: the line of the averages, and as its peak the largest
 * maximum (a bucket without one counts by its average).
 */
export function averagedMetric<T extends { start: number }>(
  label: string,
  className: string,
  axis: ChartAxis,
  series: readonly T[],
  average: (point: T) => number | null | undefined,
  maximum: (point: T) => number | null | undefined,
  format: (value: number) => string,
  fullScale?: number,
): HTMLElement {
  const peak = peakOf(series, (point) => maximum(point) ?? average(point));
  return periodMetric(label, className, axis, chartPoints(axis, series, average), peak, format, fullScale);
}
