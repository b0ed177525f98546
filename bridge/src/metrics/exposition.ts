/** Escapes a label value for the Prometheus text format and OpenMetrics (the same three characters in both). */
export function escapeLabelValue(value: string): string {
  // Anything else, UTF-8 included, is allowed verbatim.
  return /[\\\n"]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : value;
}
