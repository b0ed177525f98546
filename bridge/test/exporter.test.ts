import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
// The real Node exporter, from this monorepo (a workspace package).
import { PulseRecorder } from '@gravito/pulse-node';
import { PULSE_EVENTS, type PulseErrorEvent, type PulseSlowEvent, type SystemPulseEvent } from '@gravito/pulse-protocol';
import { SpanKind } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { SseClient, suiteRedisAndBridge } from './helpers.js';

describe('heartbeats, slow entries and exceptions from the real exporter (@gravito/pulse-node)', () => {
  const suite = suiteRedisAndBridge();

  it('serves the exporter app online, each entry once, then stopped when it stops', async () => {
    const { redis, bridge } = suite;
    const app = 'exporter-interop';
    const sse = await SseClient.connect(`${bridge.url}/api/pulse/stream`);
    const recorder = new PulseRecorder({
      redis: redis.url,
      appName: app,
      instanceId: 'node-1',
      intervalMs: 200,
      flushIntervalMs: 100,
      thresholdMs: 100,
    });
    recorder.start();
    const provider = new BasicTracerProvider({ spanProcessors: [recorder.spanProcessor] });
    try {
      const online = await sse.waitFor<SystemPulseEvent>(
        PULSE_EVENTS.systemPulse,
        (e) => e.apps.some((a) => a.app === app && a.servers.some((s) => s.id === 'node-1' && s.status === 'online')),
        10_000,
      );
      const server = online.apps.find((a) => a.app === app)?.servers[0];
      assert.equal(server?.heartbeat.meta.runtime, 'node');
      assert.equal(server?.heartbeat.meta.interval_ms, 200);

      const tracer = provider.getTracer('bridge-test');
      tracer
        .startSpan('GET /reports/:id', {
          kind: SpanKind.SERVER,
          startTime: Date.now() - 500,
          attributes: { 'http.route': '/reports/:id', 'http.request.method': 'GET', 'http.response.status_code': 200 },
        })
        .end();
      const failing = tracer.startSpan('POST /orders', {
        kind: SpanKind.SERVER,
        attributes: { 'http.route': '/orders', 'http.request.method': 'POST' },
      });
      failing.recordException(new TypeError('order total is not a number'));
      failing.end();
      await recorder.forceFlush();

      const slow = await sse.waitFor<PulseSlowEvent>(PULSE_EVENTS.slow, (e) => e.app === app, 5_000);
      assert.equal(slow.entry.route, '/reports/:id');
      assert.equal(slow.entry.server_id, 'node-1');
      const error = await sse.waitFor<PulseErrorEvent>(PULSE_EVENTS.error, (e) => e.app === app, 5_000);
      assert.equal(error.entry.type, 'TypeError');
      const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
      assert.match(metrics, new RegExp(`pulse_server_up\\{app="${app}",server="node-1"\\} 1`));
      assert.match(
        metrics,
        new RegExp(`pulse_server_info\\{app="${app}",server="node-1",hostname="[^"]+",platform="${process.platform}",runtime="node"`),
      );
      assert.match(metrics, new RegExp(`pulse_slow_entries_total\\{app="${app}",kind="request",method="GET",route="/reports/:id"\\} 1`));
      assert.match(metrics, new RegExp(`pulse_exceptions_total\\{app="${app}",type="TypeError"\\} 1`));

      await recorder.stop();
      // A graceful stop says goodbye: stopped, never lost (lost-after is 3 × 200 ms; the wait below is longer).
      await sse.waitFor<SystemPulseEvent>(
        PULSE_EVENTS.systemPulse,
        (e) => e.apps.some((a) => a.app === app && a.servers.find((s) => s.id === 'node-1')?.status === 'stopped'),
        5_000,
      );
      // each entry arrived once
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(sse.of<PulseSlowEvent>(PULSE_EVENTS.slow).filter((e) => e.app === app).length, 1);
      assert.equal(sse.of<PulseErrorEvent>(PULSE_EVENTS.error).filter((e) => e.app === app).length, 1);
      const statuses = sse
        .of<SystemPulseEvent>(PULSE_EVENTS.systemPulse)
        .flatMap((e) => e.apps.filter((a) => a.app === app).flatMap((a) => a.servers.map((s) => s.status)));
      assert.ok(!statuses.includes('lost'), 'never lost');
    } finally {
      await recorder.stop();
      await provider.shutdown();
      await sse.close();
    }
  });
});
