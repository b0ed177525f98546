import { svg } from '../dom.js';

/** One bucket that has data: its place in the period (0 = the oldest bucket) and its value. */
export interface ChartPoint {
  index: number;
  value: number;
}

/** The time axis of a period: `buckets` buckets of `bucketMs` from `from`. */
export interface ChartAxis {
  from: number;
  bucketMs: number;
  buckets: number;
}

export function chartAxis(from: number, to: number, bucketMs: number): ChartAxis {
  return { from, bucketMs, buckets: Math.max(1, Math.ceil((to - from) / bucketMs)) };
}

/**
 * The points of a series that has a value: one per bucket with data, in the order of time. A bucket the series
 * lacks, or whose value is absent or null (not measured), has no point: the line breaks there, it never drops to 0.
 */
export function chartPoints<T extends { start: number }>(
  axis: ChartAxis,
  series: readonly T[],
  value: (point: T) => number | null | undefined,
): ChartPoint[] {
  const points: ChartPoint[] = [];
  for (const point of series) {
    const v = value(point);
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    const index = Math.floor((point.start - axis.from) / axis.bucketMs);
    if (index < 0 || index >= axis.buckets) continue;
    points.push({ index, value: v });
  }
  return points.sort((a, b) => a.index - b.index);
}

/**
 * The path of a line through `points` on a view box one unit wide per bucket and 100 high: a point right after
 * another continues the line (`L`), one after a gap starts a new piece (`M`), and a piece of one point is a dot
 * (`h0` with round caps). So the path has exactly one `M` or `L` per point.
 */
export function linePath(points: readonly ChartPoint[], max: number): string {
  let d = '';
  let previous = Number.NaN;
  for (let i = 0; i < points.length; i++) {
    const point = points[i] as ChartPoint;
    const y = max > 0 ? Math.round(1000 - (Math.min(max, Math.max(0, point.value)) / max) * 1000) / 10 : 100;
    const joined = point.index === previous + 1;
    d += `${joined ? 'L' : 'M'}${point.index},${y}`;
    const next = points[i + 1];
    if (!joined && (next === undefined || next.index !== point.index + 1)) d += 'h0';
    previous = point.index;
  }
  return d;
}

/** A line over a period, hand-drawn in SVG (see docs/benchmarks.md, "Period views: the page"); decorative: the text beside it says the figures. */
export function periodChart(className: string, axis: ChartAxis, points: readonly ChartPoint[], max: number): SVGSVGElement {
  const root = svg('svg', {
    class: `period-chart ${className}`,
    viewBox: `0 -2 ${Math.max(1, axis.buckets - 1)} 104`,
    preserveAspectRatio: 'none',
    'aria-hidden': 'true',
    focusable: 'false',
  });
  root.append(svg('path', { class: 'period-line', d: linePath(points, max), fill: 'none', 'vector-effect': 'non-scaling-stroke' }));
  return root;
}
