import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { slowKey } from '@gravito/pulse-protocol';
import { startRedis, type TestRedis } from '@gravito/pulse-testkit';
import { DiagLogLevel, diag, SpanKind } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { Redis } from 'ioredis';
import { createPulse } from '../src/index.js';
import { sleep, uniqueApp, waitFor } from './helpers.js';

describe('a second Pulse for the same app and instance', () => {
  let redis: TestRedis;
  let client: Redis;
  const warnings: string[] = [];

  before(async () => {
    redis = await startRedis();
    client = redis.client();
    const collect = (message: string) => warnings.push(message);
    diag.setLogger({ warn: collect, error: collect, info: () => {}, debug: () => {}, verbose: () => {} }, DiagLogLevel.WARN);
  });
  after(async () => {
    diag.disable();
    await redis?.stop();
  });

  it('writes nothing and warns once; once the first shuts down, a new one takes over', async () => {
    const appName = uniqueApp('twice');
    const options = { redis: redis.url, appName, instanceId: 'one', intervalMs: 200, ttlSeconds: 2, flushIntervalMs: 50 };
    const first = createPulse(options);
    const second = createPulse(options);
    const resource = resourceFromAttributes({ 'service.name': appName });
    const tracers = new BasicTracerProvider({ resource, spanProcessors: [first.spanProcessor, second.spanProcessor] });
    const meters = [first, second].map((p) => new MeterProvider({ resource, readers: [p.metricReader] }));
    const slowSpan = () => {
      const start = Date.now() - 1_500;
      tracers.getTracer('t').startSpan('send-email', { kind: SpanKind.CONSUMER, startTime: start }).end();
    };

    slowSpan();
    slowSpan();
    await Promise.all([first.forceFlush(), second.forceFlush()]);
    assert.equal(await client.xlen(slowKey(appName)), 2, 'each slow job written once, not twice');
    const duplicate = warnings.filter((w) => w.includes('a second Pulse'));
    assert.equal(duplicate.length, 1, warnings.join('\n'));
    assert.match(duplicate[0] as string, new RegExp(`app "${appName}" and server "one"`));
    await waitFor('a heartbeat', async () => (first.stats.writtenHeartbeats > 0 ? true : undefined), 3_000);
    await sleep(400); // two more intervals: the second would have written by now
    assert.deepEqual(await client.keys(`pulse:server:${appName}:*`), [`pulse:server:${appName}:one`]);
    assert.equal(second.stats.writtenHeartbeats + second.stats.writtenEntries, 0);

    await first.shutdown();
    const third = createPulse(options);
    const tracer3 = new BasicTracerProvider({ resource, spanProcessors: [third.spanProcessor] });
    tracer3
      .getTracer('t')
      .startSpan('send-email', { kind: SpanKind.CONSUMER, startTime: Date.now() - 1_500 })
      .end();
    await waitFor('the new Pulse writing', async () => ((await client.xlen(slowKey(appName))) === 3 ? true : undefined), 3_000);
    await sleep(100);
    assert.equal(await client.xlen(slowKey(appName)), 3);

    await Promise.all([second.shutdown(), third.shutdown(), ...meters.map((m) => m.shutdown()), tracers.shutdown(), tracer3.shutdown()]);
  });
});
