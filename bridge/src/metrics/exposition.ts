import type { MetricDefinition } from './names.js';

/** Escapes a label value for the Prometheus text format and OpenMetrics (the same three characters in both). */
export function escapeLabelValue(value: string): string {
  // Anything else, UTF-8 included, is allowed verbatim.
  return /[\\\n"]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : value;
}

/**
 * One family in the text format, written straight from its samples (`{labels} value`, without the name) for
 * families too large for prom-client's labelled metrics. Names, types and help come from the contract (names.ts).
 */
export function renderFamily({ name, help, type }: MetricDefinition, samples: readonly string[]): string {
  const head = `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
  return samples.length > 0 ? `${head}${name}${samples.join(`\n${name}`)}\n` : head;
}
