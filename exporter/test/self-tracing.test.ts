import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { parseSlowStreamFields, slowKey } from '@gravito/pulse-protocol';
import { startRedis, type TestRedis } from '@gravito/pulse-testkit';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { waitFor } from './helpers.js';

// With the ioredis instrumentation active, Pulse's own writes (heartbeats, slow entries, errors)
// must create no spans, even when flushed from inside an active request span. A user's own ioredis
// call in the same process IS traced: that is what proves the instrumentation is live. The
// instrumentation runs with requireParentSpan: false, so even parentless commands (connect, INFO,
// a flush from a timer) would show up.
describe('no self-tracing', () => {
  let redis: TestRedis;
  const exporter = new InMemorySpanExporter();
  const instrumentation = new IORedisInstrumentation({ requireParentSpan: false });
  const appName = `selftrace-${process.pid}`;
  let provider: NodeTracerProvider;

  before(async () => {
    redis = await startRedis();
    instrumentation.enable();
    // Load ioredis through require() only now, so that the instrumentation patches its prototype;
    // the package Pulse imports is this same module.
    createRequire(import.meta.url)('ioredis');
  });
  after(async () => {
    instrumentation.disable();
    await provider?.shutdown();
    await redis?.stop();
  });

  it("Pulse's Redis traffic creates no spans; the user's own ioredis call does", async () => {
    const { createPulse } = await import('../src/index.js');
    const { MeterProvider } = await import('@opentelemetry/sdk-metrics');
    // Every CLIENT span of a database call is a slow query at 0 ms: a traced command of Pulse's would be written back.
    const pulse = createPulse({ redis: redis.url, appName, intervalMs: 200, ttlSeconds: 5, flushIntervalMs: 50, queryThresholdMs: 0 });
    provider = new NodeTracerProvider({
      resource: resourceFromAttributes({ 'service.name': appName }),
      spanProcessors: [pulse.spanProcessor, new SimpleSpanProcessor(exporter)],
    });
    // register(): the global tracer provider and, above all, an AsyncLocalStorage context manager,
    // without which there is no active span and suppressTracing would prove nothing.
    provider.register();
    instrumentation.setTracerProvider(provider);
    const meterProvider = new MeterProvider({ readers: [pulse.metricReader] });
    const tracer = provider.getTracer('test');

    // A slow SERVER span with an exception, ended and flushed while it is still the active span.
    const span = tracer.startSpan('GET /orders/:id', {
      kind: SpanKind.SERVER,
      startTime: Date.now() - 1_500,
      attributes: { 'http.route': '/orders/:id', 'http.request.method': 'GET', 'http.response.status_code': 500 },
    });
    span.recordException(new Error('boom'));
    await context.with(trace.setSpan(context.active(), span), async () => {
      span.end();
      await pulse.forceFlush();
    });

    // The test's own checks are not under test: keep them out of the span list.
    const check = context.with(suppressTracing(context.active()), () => redis.client());
    const quiet = <T>(fn: () => Promise<T>) => context.with(suppressTracing(context.active()), fn);
    await waitFor('the slow entry', () => quiet(async () => ((await check.xlen(slowKey(appName))) > 0 ? true : undefined)), 3_000);
    await waitFor(
      'a heartbeat',
      () => quiet(async () => ((await check.keys(`pulse:server:${appName}:*`)).length > 0 ? true : undefined)),
      3_000,
    );
    await pulse.forceFlush();

    const redisSpans = () => exporter.getFinishedSpans().filter((s) => s.instrumentationScope.name.includes('ioredis'));
    assert.deepEqual(
      redisSpans().map((s) => s.name),
      [],
      'Pulse wrote to Redis (entry and heartbeat are there) without a single ioredis span',
    );

    // The user's own client, in the same process: traced.
    const { Redis } = await import('ioredis');
    const userClient = new Redis(redis.url);
    await tracer.startActiveSpan('user-work', async (parent) => {
      await userClient.set(`user-key-${appName}`, '1');
      parent.end();
    });
    userClient.disconnect();
    assert.ok(
      redisSpans().some((s) => s.name === 'set'),
      `the user's SET is traced: ${exporter
        .getFinishedSpans()
        .map((s) => s.name)
        .join(', ')}`,
    );
    const pulseCommands = ['xadd', 'zadd', 'zremrangebyscore', 'zremrangebyrank', 'expire'];
    assert.deepEqual(
      redisSpans().filter((s) => pulseCommands.includes(s.name)),
      [],
      "and none of Pulse's commands",
    );

    await pulse.forceFlush();
    const entries = (await quiet(() => check.xrange(slowKey(appName), '-', '+'))).map(([, fields]) => {
      const parsed = parseSlowStreamFields(fields);
      return parsed.ok ? `${parsed.value.kind} ${parsed.value.name}` : parsed.error;
    });
    assert.ok(entries.includes('query set user-key-selftrace-? [? other arguments]'), `the user's SET is a query: ${entries.join(', ')}`);
    assert.deepEqual(
      entries.filter((entry) => /pulse:|^query (?:xadd|zadd|zremrangeby\w+|expire)\b/.test(entry)),
      [],
      "and none of Pulse's commands",
    );

    await pulse.shutdown();
    await meterProvider.shutdown();
  });
});
