import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorsKey, parseErrorMember, parseHeartbeat, parseSlowStreamFields, slowKey } from '@gravito/pulse-protocol';
import { SpanKind } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { createPulse } from '../src/index.js';
import { failoverCluster, SKIP_WITHOUT_CLUSTER } from './failover-cluster.js';
import { EXAMPLE_SERVER, sleep, startApp, uniqueApp, waitFor } from './helpers.js';

// A real 3-master + 3-replica Redis Cluster, reached from REDIS_URL's seed-list form (the bridge's). The master
// that owns an app's slow stream and error set is SIGKILLed while the app keeps recording: the entries whose
// write fails stay queued and are written once the replica has taken over. Nothing made meanwhile is lost.
describe('Redis Cluster from a seed list, and a master failover', { skip: SKIP_WITHOUT_CLUSTER }, () => {
  const cluster = failoverCluster();

  it('the example app takes REDIS_URL as a seed list', async () => {
    const app = uniqueApp('seeds');
    const proc = await startApp(EXAMPLE_SERVER, { REDIS_URL: cluster.nodes.seeds, PULSE_APP_NAME: app, PULSE_INTERVAL_MS: '500' });
    try {
      const raw = await waitFor(
        'a heartbeat in the cluster',
        async () => {
          for (const node of cluster.reader.nodes('master')) {
            const [key] = await node.keys(`pulse:server:${app}:*`);
            if (key) return cluster.reader.get(key);
          }
          return undefined;
        },
        10_000,
        100,
      );
      const parsed = parseHeartbeat(raw);
      assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
      assert.equal(parsed.value.meta.app_name, app);
    } finally {
      assert.equal(await proc.stop(), 0, proc.stderr());
    }
  });

  it('a SIGKILLed master loses no slow or error entry made during the failover', async () => {
    // An app whose stream and error set live on the same master, so that one kill hits both.
    let app = '';
    let master = 0;
    for (let i = 0; ; i++) {
      app = uniqueApp(`failover-${i}`);
      master = await cluster.masterOf(slowKey(app));
      if ((await cluster.masterOf(errorsKey(app))) === master) break;
    }
    const pulse = createPulse({ redis: cluster.nodes.seeds, appName: app, flushIntervalMs: 100, writeTimeoutMs: 500, thresholdMs: 100 });
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': app }),
      spanProcessors: [pulse.spanProcessor],
    });
    const tracer = provider.getTracer('failover');
    let made = 0;
    const record = () => {
      const n = made++;
      tracer.startSpan(`job-${n}`, { kind: SpanKind.CONSUMER, startTime: Date.now() - 200 }).end();
      const failing = tracer.startSpan(`failing-${n}`, { kind: SpanKind.CONSUMER });
      failing.recordException(new Error(`boom ${n}`));
      failing.end();
    };
    try {
      const producer = setInterval(record, 50);
      await sleep(500);
      await cluster.nodes.kill(master);
      const killedAt = made;
      // Keep recording through the failover (node timeout 1 s, then the election) and a little after it.
      await waitFor(
        'a new master for the slow stream',
        async () => ((await cluster.masterOf(slowKey(app)).catch(() => master)) !== master ? true : undefined),
        20_000,
        200,
      );
      await sleep(1_000);
      clearInterval(producer);
      assert.ok(made - killedAt >= 20, `entries were made during the failover (${made - killedAt})`);

      const names = async () => {
        const rows = await cluster.reader.xrange(slowKey(app), '-', '+');
        return new Set(rows.map(([, fields]) => (parseSlowStreamFields(fields) as { ok: true; value: { name: string } }).value.name));
      };
      const messages = async () => {
        const members = await cluster.reader.zrange(errorsKey(app), '0', '-1');
        return new Set(members.map((m) => (parseErrorMember(m) as { ok: true; value: { message: string } }).value.message));
      };
      // Reads go through waitFor: the reader's own client may still hit the dead node once before it follows.
      const written = await waitFor(
        'every entry written',
        async () => {
          await pulse.forceFlush();
          const [slow, errors, errorCount] = await Promise.all([names(), messages(), cluster.reader.zcard(errorsKey(app))]);
          if (slow.size === made && errors.size === made) return { slow, errors, errorCount };
          // Said as the last error if the wait times out: what was missing, and what the exporter counted.
          throw new Error(
            `${slow.size} of ${made} slow entries and ${errors.size} of ${made} errors in Redis; exporter stats ${JSON.stringify(pulse.stats)}`,
          );
        },
        15_000,
        200,
      );
      for (let n = 0; n < made; n++) {
        assert.ok(written.slow.has(`job-${n}`), `slow entry ${n}`);
        assert.ok(written.errors.has(`boom ${n}`), `error ${n}`);
      }
      assert.equal(pulse.stats.droppedEntries, 0, 'nothing dropped');
      assert.ok(pulse.stats.retriedEntries > 0, 'the failover made some writes fail, and they were retried');
      // A retry can repeat a slow entry whose write did reach Redis before it failed (documented); an error
      // member is the same member again, which a sorted set keeps once.
      assert.equal(written.errorCount, made);
    } finally {
      await pulse.shutdown();
      await provider.shutdown();
    }
  });
});
