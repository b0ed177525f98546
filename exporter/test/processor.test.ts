import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errorsKey, parseErrorMember, validateHeartbeat } from '@gravito/pulse-protocol';
import { startRedis, type TestRedis } from '@gravito/pulse-testkit';
import { context, DiagLogLevel, diag, SpanKind, trace } from '@opentelemetry/api';
import { detectResources, resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, DataPointType, MeterProvider, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { Redis } from 'ioredis';
import { IdentityCache, resolveIdentity } from '../src/identity.js';
import { createPulse, errorFingerprint, firstFrame, isRawUrl, PulseConfigError, PulseRecorder, toHeartbeat } from '../src/index.js';
import { PulseMetricExporter } from '../src/metrics/pulse-metric-exporter.js';
import { connect } from '../src/redis/connection.js';
import { RedisWriter } from '../src/redis/writer.js';
import { RecorderStats } from '../src/stats.js';
import { sleep, uniqueApp, waitFor } from './helpers.js';
import { pulseWithTracer } from './pulse-under-test.js';

describe('options are checked at createPulse', () => {
  const bad: Array<[string, Record<string, unknown>, RegExp]> = [
    ['unknown key', { treshold: 5 }, /unknown option "treshold"/],
    ['sampleRate above 1', { sampleRate: 2 }, /sampleRate must be a number from 0 to 1/],
    ['TTL shorter than the interval', { intervalMs: 10_000, ttlSeconds: 5 }, /ttlSeconds .* must be longer than intervalMs/],
    ['a URL that is not redis://', { redis: 'http://x' }, /redis:\/\//],
    ['a bad threshold', { thresholds: { '/a/*': -1 } }, /thresholds\[\/a\/\*\]/],
    ['a bad ignore pattern', { ignore: [42] }, /ignore\[0\]/],
    ['disks not an array', { disks: '/' }, /disks must be an array/],
  ];
  for (const [why, options, message] of bad) {
    it(`rejects ${why}`, () => {
      assert.throws(
        () => createPulse(options as never),
        (err: Error) => err instanceof PulseConfigError && message.test(err.message),
      );
    });
  }
});

describe('naming and fingerprints', () => {
  it('never takes a raw URL for a name', () => {
    for (const raw of ['/users/42', 'GET /users/42', 'https://x.test/a', 'orders?id=1']) assert.ok(isRawUrl(raw), raw);
    for (const name of ['GET', 'send-email', 'GET /users/:id'.replace('/', '')]) assert.ok(!isRawUrl(name), name);
  });

  it('fingerprints by type and first frame, without line and column numbers', () => {
    const a = 'TypeError: x\n    at handler (/app/src/users.js:12:20)\n    at next (/app/r.js:1:1)';
    const b = 'TypeError: y\n    at handler (/app/src/users.js:40:3)\n    at other (/app/q.js:9:9)';
    assert.equal(firstFrame(a), 'at handler (/app/src/users.js)');
    assert.equal(errorFingerprint('TypeError', 'x', a), errorFingerprint('TypeError', 'y', b));
    assert.notEqual(errorFingerprint('TypeError', 'x', a), errorFingerprint('RangeError', 'x', a));
    assert.match(errorFingerprint('Error', 'no stack', undefined), /^[0-9a-f]{8}$/);
  });

  it('makes app and server id key-safe', () => {
    const id = resolveIdentity(resourceFromAttributes({ 'service.name': 'my app:{1}', 'service.instance.id': 'pod/7' }), {
      appName: undefined,
      environment: undefined,
      version: undefined,
      instanceId: undefined,
    });
    assert.equal(id.app, 'my_app__1_');
    assert.equal(id.serverId, 'pod_7');
    assert.equal(id.appName, 'my app:{1}');
  });

  it("names a span's server while a detector's attribute is pending, without OpenTelemetry's error for it", async () => {
    const errors: string[] = [];
    diag.setLogger({ error: (message) => errors.push(message), warn() {}, info() {}, debug() {}, verbose() {} }, DiagLogLevel.ERROR);
    let settle: (value: string) => void = () => {};
    // As the host detector's host.id is for the first milliseconds of a process.
    const pending = new Promise<string>((resolve) => {
      settle = resolve;
    });
    const detector = { detect: () => ({ attributes: { 'service.name': 'checkout', 'host.id': pending } }) };
    const resource = detectResources({ detectors: [detector] });
    try {
      assert.equal(resource.asyncAttributesPending, true);
      const identities = new IdentityCache({ appName: undefined, environment: undefined, version: undefined, instanceId: 'web-1' });
      assert.equal(identities.get(resource)?.app, 'checkout');
      settle('machine-1');
      await resource.waitForAsyncAttributes?.();
      assert.equal(identities.get(resource)?.app, 'checkout');
      assert.deepEqual(errors, []);
    } finally {
      diag.disable();
    }
  });
});

describe('heartbeat mapping', () => {
  it('ignores metrics from other instrumentations, and gives nothing without Pulse metrics', () => {
    const foreign: ResourceMetrics = {
      resource: resourceFromAttributes({ 'service.name': 'x' }),
      scopeMetrics: [
        {
          scope: { name: '@opentelemetry/instrumentation-http' },
          metrics: [
            {
              descriptor: { name: 'system.cpu.utilization', description: '', unit: '1', valueType: 1 },
              aggregationTemporality: AggregationTemporality.CUMULATIVE,
              dataPointType: DataPointType.GAUGE,
              dataPoints: [{ startTime: [0, 0], endTime: [0, 0], attributes: {}, value: 99 }],
            },
          ],
        },
      ],
    };
    const identity = resolveIdentity(foreign.resource, {
      appName: undefined,
      environment: undefined,
      version: undefined,
      instanceId: undefined,
    });
    assert.equal(toHeartbeat(foreign, { identity, intervalMs: 5000, now: Date.now() }), undefined);
  });
});

describe('PulseSpanProcessor against a real Redis', () => {
  let redis: TestRedis;
  let client: Redis;
  before(async () => {
    redis = await startRedis();
    client = redis.client();
  });
  after(() => redis?.stop());

  const setup = (options: Parameters<typeof createPulse>[0] & { appName: string }) => pulseWithTracer(redis.url, client, options);

  it('applies the threshold map, ignore patterns and span kinds', async () => {
    const appName = uniqueApp('thresholds');
    const { pulse, end, slow } = setup({
      appName,
      thresholds: { '/reports/*': 3000, 'send-email': 200 },
      ignore: ['/health', /^nightly-/],
    });
    end('GET', SpanKind.SERVER, 1500, { 'http.route': '/reports/:id', 'http.request.method': 'GET' }); // under its 3 s
    end('GET', SpanKind.SERVER, 3500, { 'http.route': '/reports/:id', 'http.request.method': 'GET' }); // over
    end('send-email', SpanKind.CONSUMER, 300); // over its 200 ms
    end('nightly-backup', SpanKind.CONSUMER, 5000); // ignored
    end('GET', SpanKind.SERVER, 5000, { 'http.route': '/health', 'http.request.method': 'GET' }); // ignored
    end('db query', SpanKind.CLIENT, 5000); // not a request or job
    end('GET /users/42', SpanKind.SERVER, 1500, { 'http.request.method': 'GET', 'url.path': '/users/42' }); // no route
    await pulse.forceFlush();
    const entries = await slow();
    assert.deepEqual(
      entries.map((e) => [e.kind, e.name, e.threshold_ms]),
      [
        ['request', 'GET /reports/:id', 3000],
        ['job', 'send-email', 200],
        ['request', 'GET', 1000],
      ],
    );
    assert.ok(!JSON.stringify(entries).includes('/users/42'), 'a raw URL never becomes a name');
    await pulse.shutdown();
  });

  it('sampleRate 0 records nothing', async () => {
    const appName = uniqueApp('sample');
    const { pulse, end, slow } = setup({ appName, sampleRate: 0 });
    for (let i = 0; i < 20; i++) end('job', SpanKind.CONSUMER, 2000);
    await pulse.forceFlush();
    assert.equal((await slow()).length, 0);
    await pulse.shutdown();
  });

  it('bounds the queue and counts drops; one pipeline flush writes the rest', async () => {
    const appName = uniqueApp('bounded');
    const { pulse, end, slow } = setup({ appName, maxQueueSize: 50, flushIntervalMs: 60_000 });
    for (let i = 0; i < 500; i++) end('job', SpanKind.CONSUMER, 2000);
    assert.equal(pulse.stats.droppedEntries, 450);
    await pulse.forceFlush();
    assert.equal((await slow()).length, 50);
    await pulse.shutdown();
  });

  it('bounds the queue in bytes too: exceptions with long stacks are dropped and counted past maxQueueBytes', async () => {
    const appName = uniqueApp('bounded-bytes');
    const { pulse, provider } = setup({ appName, maxQueueBytes: 64 * 1024, flushIntervalMs: 60_000 });
    const tracer = provider.getTracer('t');
    for (let i = 0; i < 20; i++) {
      const err = new Error(`failure ${i}`); // distinct messages: not deduped
      err.stack = `Error: failure ${i}\n${'    at f (/a.js:1:1)\n'.repeat(800)}`; // 16 K characters once truncated
      const span = tracer.startSpan('job', { kind: SpanKind.CONSUMER });
      span.recordException(err);
      span.end();
    }
    // 64 KiB hold three entries of 16 K characters and their overhead; the 17 others are dropped and counted.
    assert.equal(pulse.stats.droppedEntries, 17);
    await pulse.forceFlush();
    assert.equal(await client.zcard(errorsKey(appName)), 3);
    await pulse.shutdown();
  });

  it('truncates long messages and stacks to the protocol limits, and dedupes one error across spans of a trace', async () => {
    const appName = uniqueApp('errors');
    const { pulse, provider } = setup({ appName });
    const tracer = provider.getTracer('t');
    const err = new Error('m'.repeat(5000));
    err.stack = `Error: ${'m'.repeat(50)}\n${'    at f (/a.js:1:1)\n'.repeat(2000)}`;
    tracer.startActiveSpan('root', { kind: SpanKind.SERVER, attributes: { 'http.route': '/x' } }, (root) => {
      // No context manager here: pass the parent explicitly, so both spans share the trace.
      const inner = tracer.startSpan('handler', { attributes: { 'http.route': '/x' } }, trace.setSpan(context.active(), root));
      inner.recordException(err);
      inner.end();
      root.recordException(err);
      root.end();
    });
    await pulse.forceFlush();
    const members = await client.zrange(errorsKey(appName), '0', '-1');
    assert.equal(members.length, 1);
    const e = parseErrorMember(members[0] as string);
    assert.ok(e.ok, e.ok ? '' : e.error);
    assert.equal(e.value.message.length, 2048);
    assert.equal(e.value.stack?.length, 16_384);
    assert.equal(e.value.route, '/x');
    await pulse.shutdown();
  });

  it('onEnd never throws, even for a malformed span', () => {
    const pulse = createPulse({ redis: redis.url, appName: uniqueApp('malformed') });
    const broken = {
      kind: SpanKind.SERVER,
      duration: [5, 0],
      events: [{ name: 'exception', time: 'not a time' }],
      get attributes(): never {
        throw new Error('boom');
      },
    };
    assert.doesNotThrow(() => pulse.spanProcessor.onEnd(broken as never));
    return pulse.shutdown();
  });

  it('forceFlush and shutdown are idempotent and prompt with Redis unreachable', async () => {
    const pulse = createPulse({ redis: 'redis://127.0.0.1:1', appName: uniqueApp('unreachable'), writeTimeoutMs: 200 });
    const provider = new MeterProvider({ readers: [pulse.metricReader] });
    const t = Date.now();
    await pulse.forceFlush();
    await Promise.all([pulse.shutdown(), pulse.shutdown(), provider.shutdown()]);
    await pulse.shutdown();
    assert.ok(Date.now() - t < 3_000, `took ${Date.now() - t} ms`);
  });

  it('never writes a heartbeat that fails the schema: counted, and export still calls back', async () => {
    const appName = uniqueApp('invalid');
    const stats = new RecorderStats();
    const connection = connect(redis.url, {}, { writeTimeoutMs: 500, maxBackoffMs: 200 });
    const exporter = new PulseMetricExporter({
      writer: new RedisWriter(connection, stats, 500),
      identities: new IdentityCache({ appName, environment: undefined, version: undefined, instanceId: undefined }),
      stats,
      intervalMs: 1000,
      ttlSeconds: 5,
    });
    const point = (value: number) => ({
      startTime: [0, 0] as [number, number],
      endTime: [0, 0] as [number, number],
      attributes: {},
      value,
    });
    const metric = (name: string, value: number) => ({
      descriptor: { name, description: '', unit: '', valueType: 1 },
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.GAUGE as const,
      dataPoints: [point(value)],
    });
    const export1 = (memoryTotal: number) =>
      new Promise<number>((resolve) =>
        exporter.export(
          {
            resource: resourceFromAttributes({}),
            scopeMetrics: [
              {
                scope: { name: '@gravito/pulse-node' },
                metrics: [metric('system.cpu.utilization', 0.5), metric('system.memory.limit', memoryTotal)],
              },
            ],
          },
          (result) => resolve(result.code),
        ),
      );
    // Handled (counted, warned once): not a FAILED result, which the periodic reader would log with a stack every interval.
    assert.equal(await export1(2 ** 60), 0, 'an invalid heartbeat is counted, not written'); // over Number.MAX_SAFE_INTEGER bytes
    assert.equal(stats.invalidHeartbeats, 1);
    assert.deepEqual(await client.keys(`pulse:server:${appName}:*`), []);
    assert.equal(await export1(8 * 2 ** 30), 0, 'a valid one is written');
    assert.equal((await client.keys(`pulse:server:${appName}:*`)).length, 1);
    await exporter.shutdown();
    connection.close();
  });

  it('PulseRecorder writes valid heartbeats without NodeSDK, and stop() ends them', async () => {
    const appName = uniqueApp('recorder');
    const recorder = new PulseRecorder({ redis: redis.url, appName, intervalMs: 200, ttlSeconds: 1 }).start();
    const key = await waitFor('a heartbeat', async () => (await client.keys(`pulse:server:${appName}:*`))[0], 3_000);
    const hb = JSON.parse((await client.get(key)) as string);
    const check = validateHeartbeat(hb);
    assert.ok(check.ok, check.ok ? '' : check.error);
    assert.equal(hb.meta.app_name, appName);
    assert.ok(hb.system.disks.length === 1 && hb.process.event_loop && hb.recorder);
    await recorder.stop();
    await recorder.stop();
    await sleep(1_300);
    assert.equal(await client.exists(key), 0);
  });
});
