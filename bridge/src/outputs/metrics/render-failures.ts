import type { Logger } from 'pino';
import { Registry, type RegistryContentType } from 'prom-client';

/**
 * What a /metrics render does when one part of it throws: that part's families are left out and the rest is
 * served, so a scrape never answers 500 for the state the bridge holds (one family past V8's string limit once
 * failed every scrape). Each family left out is counted (`pulse_bridge_metrics_render_failures_total{family}`)
 * and logged the first time it fails.
 */
export class RenderFailures {
  private readonly logged = new Set<string>();

  constructor(
    private readonly log: Logger,
    private readonly count: (family: string) => void,
  ) {}

  failed(families: readonly string[], err: unknown): void {
    for (const family of families) this.count(family);
    const first = families.filter((family) => !this.logged.has(family));
    if (first.length === 0) return;
    for (const family of first) this.logged.add(family);
    this.log.error(
      { families: first, err: err instanceof Error ? err.message : String(err) },
      'metrics families left out of /metrics: rendering them failed (the rest is served; counted in pulse_bridge_metrics_render_failures_total, logged once per family)',
    );
  }
}

/**
 * A prom-client registry's exposition, each metric rendered on its own (`Registry.metrics()` is one
 * `Promise.all`: one metric that throws fails them all). Joined as `metrics()` joins them, without OpenMetrics'
 * `# EOF` (the caller ends the whole scrape with it).
 */
export async function renderRegistry(registry: Registry<RegistryContentType>, failures: RenderFailures): Promise<string> {
  const texts = await Promise.all(
    registry.getMetricsAsArray().map(async ({ name }) => {
      try {
        return await registry.getSingleMetricAsString(name);
      } catch (err) {
        failures.failed([name], err);
        return undefined;
      }
    }),
  );
  const rendered = texts.filter((text) => text !== undefined);
  return `${rendered.join(registry.contentType === Registry.OPENMETRICS_CONTENT_TYPE ? '\n' : '\n\n')}\n`;
}
