// Prometheus's HTTP API as the dashboards' tests use it: Grafana's variables expanded the way Grafana expands them,
// then an instant query. Shared by queries.e2e.test.ts (every panel) and scripts/test/slow-clients.test.ts.

export interface PromResult {
  status: string;
  data: { resultType: string; result: unknown[] } | string[];
  error?: string;
}

export interface PromSeries {
  metric: Record<string, string>;
  value: [number, string];
}

export async function prom(baseUrl: string | undefined, path: string, params: Record<string, string | string[]>): Promise<PromResult> {
  const url = new URL(path, baseUrl);
  for (const [k, v] of Object.entries(params)) for (const value of Array.isArray(v) ? v : [v]) url.searchParams.append(k, value);
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return (await res.json()) as PromResult;
}

/** The series of an instant query; an error names the query. */
export async function instantSeries(baseUrl: string | undefined, query: string): Promise<PromSeries[]> {
  const result = await prom(baseUrl, '/api/v1/query', { query });
  if (result.status !== 'success' || Array.isArray(result.data)) throw new Error(`${query}: ${result.error}`);
  return result.data.result as PromSeries[];
}

export function escapeRegex(value: string): string {
  return value.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

/** The variables Grafana substitutes before a query reaches Prometheus. */
export interface Variables {
  app: string;
  server: string;
  mount: string;
}

/**
 * A panel query as Grafana sends it: `$__range` is the time since `startedAt` (at least 10 s), `$__interval` 2 s,
 * and `$__rate_interval` = max($__interval + scrape interval, 4 × scrape interval).
 */
export function expand(expr: string, vars: Variables, startedAt: number, scrapeSeconds: number): string {
  const elapsed = Math.max(10, Math.ceil((Date.now() - startedAt) / 1000));
  const interval = 2;
  const rateInterval = Math.max(interval + scrapeSeconds, 4 * scrapeSeconds);
  return expr
    .replaceAll('$__rate_interval', `${rateInterval}s`)
    .replaceAll('$__range', `${elapsed}s`)
    .replaceAll('$__interval', `${interval}s`)
    .replace(/\$\{?(app|server|mount)\}?/g, (_m, name: keyof Variables) => vars[name]);
}
