import { setAttr, svg } from '../dom.js';

/**
 * A small line of the last readings (0–100 %), kept in the browser; decorative: the gauge next to it says the
 * value. The view box is one unit per reading and per percent, so that the points are integers, cheap to write
 * a thousand times per frame.
 */
export class Sparkline {
  readonly root: SVGSVGElement;
  private readonly line: SVGPolylineElement;

  constructor(
    className: string,
    private readonly capacity: number,
  ) {
    this.root = svg('svg', {
      class: `sparkline ${className}`,
      viewBox: `0 0 ${Math.max(1, capacity - 1)} 100`,
      preserveAspectRatio: 'none',
      'aria-hidden': 'true',
      focusable: 'false',
    });
    this.line = svg('polyline', { fill: 'none', 'vector-effect': 'non-scaling-stroke' });
    this.root.append(this.line);
  }

  set(values: readonly number[]): void {
    const offset = this.capacity - values.length;
    let points = '';
    for (let i = 0; i < values.length; i++) {
      const y = 100 - Math.round(Math.min(100, Math.max(0, values[i] ?? 0)));
      // Until the history fills, the oldest reading is drawn back to the left edge: a new card shows a flat line
      // at its first value rather than a stray dot, and the line does not jump as readings arrive.
      if (i === 0 && offset > 0) points += `0,${y} `;
      points += `${i === 0 ? '' : ' '}${offset + i},${y}`;
    }
    setAttr(this.line, 'points', points);
  }
}
