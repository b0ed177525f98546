import { el, setAttr, setText, toggleClass } from '../dom.js';
import { percent } from '../format.js';

/**
 * A labelled `<meter>` with its value in text: the meter's colour is a hint, the text ("⚠ 95 %") is the sign,
 * so the state never rests on colour alone.
 */
export class Gauge {
  readonly root: HTMLDivElement;
  private readonly label: HTMLSpanElement;
  private readonly meter: HTMLMeterElement;
  private readonly value: HTMLSpanElement;
  private readonly detail: HTMLSpanElement;

  /** `label` is shown; `accessibleName` (default: the label) names the meter for screen readers. */
  constructor(
    label: string,
    private readonly high: number,
    accessibleName = label,
  ) {
    this.label = el('span', { className: 'gauge-label', text: label, attrs: { title: label } });
    this.meter = el('meter', { attrs: { min: '0', max: '100', low: String(high * 0.8), high: String(high), optimum: '0' } });
    setAttr(this.meter, 'aria-label', accessibleName);
    this.value = el('span', { className: 'gauge-value' });
    this.detail = el('span', { className: 'gauge-detail' });
    this.root = el('div', { className: 'gauge' }, this.label, this.meter, this.value, this.detail);
  }

  set(valuePercent: number, detail = ''): void {
    const v = Math.min(100, Math.max(0, valuePercent));
    if (this.meter.value !== v) this.meter.value = v;
    const high = v >= this.high;
    setText(this.value, high ? `⚠ ${percent(v)}` : percent(v));
    toggleClass(this.root, 'is-high', high);
    setText(this.detail, detail);
  }
}
