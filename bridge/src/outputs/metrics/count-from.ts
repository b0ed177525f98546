import { Counter, type Registry } from 'prom-client';
import type { MetricDefinition } from './names.js';

/** One series of a counted family: its labels, and the number it follows. */
export type CountedSeries = readonly [labels: Readonly<Record<string, string>>, count: number];

/** The series of a family with one label, from a count per label value. */
export const byLabel = (label: string, counts: Readonly<Record<string, number>>): CountedSeries[] =>
  Object.entries(counts).map(([value, count]) => [{ [label]: value }, count]);

/**
 * A counter that follows numbers a part of the bridge keeps itself, plain numbers that only grow: each collect adds
 * what each series grew by since the last, so that it stays a counter. Every series `read` gives is there from the
 * first scrape, at 0 until it happens.
 */
export function countFrom(definition: MetricDefinition, read: () => Iterable<CountedSeries>, registry: Registry): void {
  const { name, help, labelNames } = definition;
  const last = new Map<string, number>();
  new Counter({
    name,
    help,
    labelNames: [...labelNames],
    registers: [registry],
    collect() {
      for (const [labels, now] of read()) {
        const key = labelNames.map((label) => labels[label]).join('\u0000');
        this.inc(labels, Math.max(0, now - (last.get(key) ?? 0)));
        last.set(key, now);
      }
    },
  });
}
