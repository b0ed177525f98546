import assert from 'node:assert/strict';
import { parseSlowStreamFields, type SlowEntry, slowKey } from '@gravito/pulse-protocol';
import type { SpanKind } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { Redis } from 'ioredis';
import { createPulse } from '../src/index.js';

/** The slow entries of `app` in Redis, each checked against the protocol. */
export async function slowEntries(client: Redis, app: string): Promise<SlowEntry[]> {
  return (await client.xrange(slowKey(app), '-', '+')).map(([, fields]) => {
    const parsed = parseSlowStreamFields(fields);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    return parsed.value;
  });
}

/**
 * Pulse on `redisUrl` (flushing every 50 ms) behind a tracer of the app's own: `end()` ends a span that lasted `ms`,
 * `slow()` reads back what reached Redis through `client`.
 */
export function pulseWithTracer(redisUrl: string, client: Redis, options: Parameters<typeof createPulse>[0] & { appName: string }) {
  const pulse = createPulse({ redis: redisUrl, flushIntervalMs: 50, ...options });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.appName }),
    spanProcessors: [pulse.spanProcessor],
  });
  const tracer = provider.getTracer('t');
  const end = (name: string, kind: SpanKind, ms: number, attributes: Record<string, string | number> = {}) =>
    tracer.startSpan(name, { kind, startTime: Date.now() - ms, attributes }).end();
  return { pulse, provider, tracer, end, slow: () => slowEntries(client, options.appName) };
}
