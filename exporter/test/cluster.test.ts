import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { errorsKey, slowKey } from '@gravito/pulse-protocol';
import { findRedisServer } from '@gravito/pulse-testkit';
import { SpanKind } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { Cluster } from 'ioredis';
import { createPulse } from '../src/index.js';
import { sleep, uniqueApp, waitFor } from './helpers.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

// A real 3-master Redis Cluster, and the user's own ioredis Cluster client handed to Pulse: Pulse
// must never send a cross-slot pipeline (ioredis rejects those), and must never close the client.
const redisServer = findRedisServer();
const redisCli = redisServer ? join(redisServer, '..', 'redis-cli') : undefined;
describe('Redis Cluster with a user-supplied client', { skip: redisServer ? false : 'no redis-server on PATH' }, () => {
  const nodes: ChildProcess[] = [];
  const dirs: string[] = [];
  const ports: number[] = [];
  let cluster: Cluster;

  before(async () => {
    for (let i = 0; i < 3; i++) {
      // The cluster bus is port + 10000: keep ports low enough.
      let port = await freePort();
      while (port > 55_000) port = await freePort();
      ports.push(port);
      const dir = mkdtempSync(join(tmpdir(), 'pulse-cluster-'));
      dirs.push(dir);
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'];
      nodes.push(spawn(redisServer as string, [...args, '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' }));
    }
    await sleep(300);
    const created = spawnSync(
      redisCli as string,
      ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
      { encoding: 'utf8', timeout: 20_000 },
    );
    assert.equal(created.status, 0, created.stdout + created.stderr);
    cluster = new Cluster([{ host: '127.0.0.1', port: ports[0] as number }], { enableOfflineQueue: true });
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
    for (const node of nodes) node.kill('SIGKILL');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
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
