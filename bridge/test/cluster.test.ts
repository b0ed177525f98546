import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { heartbeatKey, PULSE_EVENTS, type PulseSlowEvent, slowKey, slowStreamFields } from '@gravito/pulse-protocol';
import { findRedisServer } from '@gravito/pulse-testkit';
import { Cluster } from 'ioredis';
import { heartbeat, SseClient, slowEntry, startBridge, waitFor } from './helpers.js';

const run = promisify(execFile);

/** A free port whose cluster bus port (+10000) is free too. */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    if (port + 10_000 < 65_535) return port;
  }
}

/** A private 3-master Redis Cluster (redis-server and redis-cli from PATH). */
async function startCluster(): Promise<{ seeds: string; stop: () => void }> {
  const binary = findRedisServer();
  if (!binary) throw new Error('redis-server is not on PATH');
  const dir = mkdtempSync(join(tmpdir(), 'pulse-bridge-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const nodeDir = join(dir, String(i));
    await run('mkdir', ['-p', nodeDir]);
    const child = spawn(
      binary,
      [
        '--port',
        String(port),
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--save',
        '',
        '--appendonly',
        'no',
        '--bind',
        '127.0.0.1',
      ],
      {
        cwd: nodeDir,
        stdio: 'ignore',
      },
    );
    children.push(child);
    ports.push(port);
  }
  const stop = () => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports)
      await waitFor(async () => (await run('redis-cli', ['-p', String(port), 'ping'])).stdout.includes('PONG'), 5_000, 'node up');
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    await waitFor(
      async () => (await run('redis-cli', ['-p', String(ports[0]), 'cluster', 'info'])).stdout.includes('cluster_state:ok'),
      10_000,
      'cluster ok',
    );
  } catch (err) {
    stop();
    throw err;
  }
  return { seeds: ports.map((p) => `127.0.0.1:${p}`).join(','), stop };
}

describe('Redis Cluster: every master is scanned, values fetched key by key', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let writer: Cluster;
  before(async () => {
    cluster = await startCluster();
    writer = new Cluster(cluster.seeds.split(',').map((s) => ({ host: '127.0.0.1', port: Number(s.split(':')[1]) })));
  });
  after(async () => {
    writer?.disconnect();
    cluster?.stop();
  });

  it('serves heartbeats from all three masters and tails slow streams', async () => {
    const app = 'cluster-app';
    for (let i = 0; i < 60; i++) await writer.set(heartbeatKey(app, `s-${i}`), JSON.stringify(heartbeat(app, `s-${i}`)), 'EX', 60);
    // the keys really are spread over the masters
    const perMaster = await Promise.all(writer.nodes('master').map((n) => n.dbsize()));
    assert.equal(perMaster.filter((n) => n > 0).length, 3, `keys per master: ${perMaster}`);

    const bridge = await startBridge({ redisUrl: cluster.seeds }, 200);
    try {
      assert.equal(bridge.bridge.redis.cluster, true);
      const snap = await waitFor(
        () => bridge.bridge.monitor.getAggregateMetrics().apps.find((a) => a.app === app && a.servers.length === 60),
        10_000,
        'all 60',
      );
      assert.equal(snap.servers_online, 60);
      const sse = await SseClient.connect(`${bridge.url}/api/pulse/stream`);
      const id = await writer.xadd(slowKey(app), '*', ...slowStreamFields(slowEntry()));
      const slow = await sse.waitFor<PulseSlowEvent>(PULSE_EVENTS.slow, (e) => e.app === app, 5_000);
      assert.equal(slow.stream_id, id);
      const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
      assert.match(metrics, /\npulse_bridge_redis_up 1\n/);
      assert.match(metrics, new RegExp(`pulse_app_servers\\{app="${app}",status="online"\\} 60`));
      await sse.close();
    } finally {
      await bridge.stop();
    }
  });
});
