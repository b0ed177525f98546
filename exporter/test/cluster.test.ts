import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errorsKey, slowKey } from '@gravito/pulse-protocol';
import { findRedisServer, startRedisCluster, type TestRedisCluster } from '@gravito/pulse-testkit';
import { SpanKind } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { Cluster } from 'ioredis';
import { createPulse } from '../src/index.js';
import { uniqueApp, waitFor } from './helpers.js';

// A real 3-master Redis Cluster, and the user's own ioredis Cluster client handed to Pulse: Pulse
// must never send a cross-slot pipeline (ioredis rejects those), and must never close the client.
describe('Redis Cluster with a user-supplied client', { skip: findRedisServer() ? false : 'no redis-server on PATH' }, () => {
  let nodes: TestRedisCluster;
  let cluster: Cluster;

  before(async () => {
    nodes = await startRedisCluster();
    cluster = new Cluster([...nodes.nodes], { enableOfflineQueue: true });
    cluster.on('error', () => {});
    await waitFor(
      'the cluster to be ready',
      async () => ((await cluster.cluster('INFO')).includes('cluster_state:ok') ? true : undefined),
      15_000,
      100,
    );
  });

  after(async () => {
    cluster?.disconnect();
    await nodes?.stop();
  });

  it('writes heartbeats, slow and error entries of two apps in one flush, per slot, and leaves the client open', async () => {
    const apps = [uniqueApp('cluster-a'), uniqueApp('cluster-b')];
    // No appName: each span's Resource names its app.
    const pulse = createPulse({ redis: cluster, intervalMs: 200, flushIntervalMs: 60_000 });
    // One processor sees spans of two Resources (two apps): one flush touches at least 4 keys in
    // different slots.
    const providers = apps.map(
      (appName) =>
        new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': appName }), spanProcessors: [pulse.spanProcessor] }),
    );
    for (const provider of providers) {
      const tracer = provider.getTracer('t');
      tracer.startSpan('job', { kind: SpanKind.CONSUMER, startTime: Date.now() - 2_000 }).end();
      const failing = tracer.startSpan('job2', { kind: SpanKind.CONSUMER });
      failing.recordException(new Error('cluster boom'));
      failing.end();
    }
    const slots = await Promise.all(apps.flatMap((a) => [slowKey(a), errorsKey(a)]).map((k) => cluster.cluster('KEYSLOT', k)));
    assert.ok(new Set(slots).size > 1, 'the keys of one flush span several slots');
    await pulse.forceFlush();
    for (const app of apps) {
      assert.equal(await cluster.xlen(slowKey(app)), 1, `slow entry of ${app}`);
      assert.equal(await cluster.zcard(errorsKey(app)), 1, `error of ${app}`);
    }
    assert.equal(pulse.stats.failedWrites, 0);
    const meters = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': apps[0] as string }),
      readers: [pulse.metricReader],
    });
    await waitFor(
      'a heartbeat',
      async () => {
        for (const node of cluster.nodes('master')) if ((await node.keys(`pulse:server:${apps[0]}:*`)).length > 0) return true;
        return undefined;
      },
      5_000,
    );
    await pulse.shutdown();
    await meters.shutdown();
    assert.equal(cluster.status, 'ready', 'Pulse never closes a client it did not create');
    assert.equal(await cluster.set(`after-${apps[0]}`, '1'), 'OK');
  });
});
