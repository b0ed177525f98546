import { setAttr, svg } from '../dom.js';

const WIDTH = 100;
const HEIGHT = 24;

/** A small line of the last readings (0–100 %), kept in the browser; decorative: the gauge next to it says the value. */
export class Sparkline {
  readonly root: SVGSVGElement;
  private readonly line: SVGPolylineElement;

  constructor(className: string) {
    this.root = svg('svg', {
      class: `sparkline ${className}`,
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      preserveAspectRatio: 'none',
      'aria-hidden': 'true',
      focusable: 'false',
    });
    this.line = svg('polyline', { fill: 'none', 'vector-effect': 'non-scaling-stroke' });
    this.root.append(this.line);
  }

  set(values: readonly number[], capacity: number): void {
    const step = WIDTH / Math.max(1, capacity - 1);
    const offset = capacity - values.length;
    let points = '';
    for (let i = 0; i < values.length; i++) {
      const v = Math.min(100, Math.max(0, values[i] ?? 0));
      points += `${((offset + i) * step).toFixed(1)},${(HEIGHT - (v / 100) * HEIGHT).toFixed(1)} `;
    }
    setAttr(this.line, 'points', points.trimEnd());
  }
}
