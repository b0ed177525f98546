import type { MetricDefinition } from './names.js';

/** Escapes a label value for the Prometheus text format and OpenMetrics (the same three characters in both). */
export function escapeLabelValue(value: string): string {
  // Anything else, UTF-8 included, is allowed verbatim.
  return /[\\\n"]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : value;
}

/** A family's `# HELP` and `# TYPE` lines. Names, types and help come from the contract (names.ts). */
export function familyHead({ name, help, type }: MetricDefinition): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
}

/** Sample lines of the family `name`, from samples written without the name (`{labels} value`). */
export function sampleLines(name: string, samples: readonly string[]): string {
  return samples.length > 0 ? `${name}${samples.join(`\n${name}`)}\n` : '';
}
