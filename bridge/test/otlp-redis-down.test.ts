// Redis down under the OTLP receiver: it answers retryable statuses (503 with Retry-After), OpenTelemetry's own
// exporter keeps the batch and retries, and once Redis is back every slow span ended during the outage is in Redis.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseSlowStreamFields } from '@gravito/pulse-protocol';
import { startRedis, type TestRedis } from '@gravito/pulse-testkit';
import { Child } from '../../scripts/demo/processes.js';
import { startBridge, waitFor } from './helpers.js';

const APP_DIR = fileURLToPath(new URL('./fixtures/otlp-app/', import.meta.url));

describe('OTLP receiver while Redis is down', () => {
  let redis: TestRedis;
  let bridge: Awaited<ReturnType<typeof startBridge>>;
  let app: Child | undefined;

  before(async () => {
    redis = await startRedis({ faults: true });
    bridge = await startBridge({ redisUrl: redis.url, otlp: true });
  });
  after(async () => {
    await app?.stop();
    await bridge?.stop();
    await redis?.stop();
  });

  for (const encoding of ['proto', 'json'] as const) {
    it(`${encoding}: 503 + Retry-After while down, nothing lost after the exporter's retries`, async () => {
      const service = `otlp-down-${encoding}-${process.pid}`;
      app = new Child(service, process.execPath, ['app.mjs'], {
        cwd: APP_DIR,
        env: {
          PATH: process.env.PATH,
          OTEL_SERVICE_NAME: service,
          OTEL_RESOURCE_ATTRIBUTES: 'service.instance.id=web-1',
          OTEL_EXPORTER_OTLP_ENDPOINT: bridge.url,
          OTEL_METRIC_EXPORT_INTERVAL: '60000',
          OTLP_ENCODING: encoding,
          SLOW_EVERY_MS: '300',
        },
      });
      const ended: string[] = [];
      app.process.stdout?.on('data', (chunk: Buffer) => {
        for (const match of chunk.toString().matchAll(/^slow ([0-9a-f]{16})$/gm)) ended.push(match[1] as string);
      });
      await app.waitForLine(/^ready$/, 20_000);
      const client = redis.client();
      const written = async () => {
        const ids = new Set<string>();
        for (const [, fields] of await client.xrange(`pulse:slow:${service}`, '-', '+')) {
          const entry = parseSlowStreamFields(fields);
          if (entry.ok && entry.value.span_id) ids.add(entry.value.span_id);
        }
        return ids;
      };
      await waitFor(async () => ((await written()).size > 0 ? true : undefined), 10_000, 'first slow entries');
      const refusedBefore = bridge.bridge.otlp?.receiver.counts.values.traces.refused_redis ?? 0;

      // A killed Redis comes back empty: what counts is every span ended from the outage on.
      const fromIndex = ended.length;
      await redis.kill();
      await waitFor(
        () => ((bridge.bridge.otlp?.receiver.counts.values.traces.refused_redis ?? 0) > refusedBefore ? true : undefined),
        5_000,
        'a 503',
      );
      const res = await fetch(`${bridge.url}/v1/traces`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '1');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await redis.restart();
      // The exporter retries within its 10 s export timeout: every span ended during the outage and after arrives.
      const expected = ended.slice(fromIndex);
      assert.ok(expected.length >= 3, `${expected.length} spans were ended during the outage`);
      const client2 = redis.client();
      await waitFor(
        async () => {
          const ids = new Set<string>();
          for (const [, fields] of await client2.xrange(`pulse:slow:${service}`, '-', '+')) {
            const entry = parseSlowStreamFields(fields);
            if (entry.ok && entry.value.span_id) ids.add(entry.value.span_id);
          }
          return expected.every((id) => ids.has(id)) ? true : undefined;
        },
        15_000,
        'every slow span in Redis after the outage',
      );
      await app.stop();
      app = undefined;
    });
  }
});
