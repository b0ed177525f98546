// Reads the built dashboard JSON the way Grafana does, for the lint and end-to-end tests.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const GRAFANA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DASHBOARD_DIR = join(GRAFANA_DIR, 'dashboards');

export interface Target {
  refId?: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
  instant?: boolean;
  range?: boolean;
  format?: string;
}

export interface Panel {
  id?: number;
  type: string;
  title?: string;
  description?: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  fieldConfig?: { defaults?: { unit?: string; mappings?: Array<{ options?: Record<string, { text?: string }> }> } };
  panels?: Panel[];
  repeat?: string;
}

export interface Variable {
  type: string;
  name: string;
  query?: string | { query?: string };
  definition?: string;
  refresh?: number;
  multi?: boolean;
  includeAll?: boolean;
  datasource?: { type?: string; uid?: string };
}

export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Variable[] };
  annotations?: { list?: unknown[] };
}

export interface LoadedDashboard {
  file: string;
  text: string;
  model: Dashboard;
}

export function loadDashboards(): LoadedDashboard[] {
  return readdirSync(DASHBOARD_DIR, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const text = readFileSync(join(DASHBOARD_DIR, file), 'utf8');
      return { file, text, model: JSON.parse(text) as Dashboard };
    });
}

/** Every panel, rows' nested (collapsed) panels included, rows excluded. */
export function allPanels(dashboard: Dashboard): Panel[] {
  const out: Panel[] = [];
  const visit = (panels: Panel[]) => {
    for (const panel of panels) {
      if (panel.type === 'row') visit(panel.panels ?? []);
      else out.push(panel);
    }
  };
  visit(dashboard.panels);
  return out;
}

export interface PanelQuery {
  dashboard: string;
  panel: string;
  refId: string;
  expr: string;
}

export function panelQueries(dashboard: Dashboard): PanelQuery[] {
  return allPanels(dashboard).flatMap((panel) =>
    (panel.targets ?? []).map((t) => ({ dashboard: dashboard.uid, panel: panel.title ?? '?', refId: t.refId ?? '?', expr: t.expr ?? '' })),
  );
}

export function variableQuery(variable: Variable): string {
  return typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? '');
}

/** `label_values(selector, label)` → its parts; `undefined` for other variable queries. */
export function parseLabelValues(query: string): { selector: string; label: string } | undefined {
  const match = query.match(/^\s*label_values\(\s*(.+)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$/s);
  if (!match?.[1] || !match[2]) return undefined;
  return { selector: match[1].trim(), label: match[2] };
}

const COUNTER = /[a-zA-Z_:][a-zA-Z0-9_:]*(?:_total|_bucket|_count|_sum)\b/g;

/**
 * Counters (names ending `_total`, and a histogram's `_bucket`/`_count`/`_sum`) must sit directly inside
 * `rate(…)` or `increase(…)` over `[$__rate_interval]` or `[$__range]`: a raw counter plots a meaningless
 * ever-growing line, and a fixed window breaks at some zoom levels. Returns the offending names.
 */
export function counterViolations(expr: string): string[] {
  const bad: string[] = [];
  // Label values ("…_total") are not metric names.
  const code = expr.replace(/"(?:[^"\\]|\\.)*"/g, (s) => ' '.repeat(s.length));
  for (const match of code.matchAll(COUNTER)) {
    const name = match[0];
    const start = match.index ?? 0;
    // The call that encloses the selector: walk back to the unmatched '('.
    let depth = 0;
    let open = -1;
    for (let i = start - 1; i >= 0; i--) {
      const c = code[i];
      if (c === ')') depth++;
      else if (c === '(') {
        if (depth === 0) {
          open = i;
          break;
        }
        depth--;
      }
    }
    const fn = open >= 0 ? (code.slice(0, open).match(/([a-zA-Z_]+)\s*$/)?.[1] ?? '') : '';
    // After the name: an optional {matchers}, then the range.
    const rest = code.slice(start + name.length).replace(/^\s*\{[^}]*\}/, '');
    const range = rest.match(/^\s*\[([^\]]*)\]/)?.[1]?.trim();
    const between = code.slice(open + 1, start).trim();
    if (!['rate', 'increase'].includes(fn) || between !== '' || (range !== '$__rate_interval' && range !== '$__range')) bad.push(name);
  }
  return bad;
}
