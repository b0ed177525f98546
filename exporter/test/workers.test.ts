import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type PulseHeartbeat, parseHeartbeat } from '@gravito/pulse-protocol';
import { startRedis, type TestRedis } from '@gravito/pulse-testkit';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { Redis } from 'ioredis';
import { WorkerCollector } from '../src/collect/workers.js';
import { createPulse } from '../src/index.js';
import { type AppProcess, NEEDS_REGISTER_ENTRY, startNode, uniqueApp, waitFor } from './helpers.js';

const CLUSTER_APP = fileURLToPath(new URL('../examples/cluster-app/', import.meta.url));

describe('worker processes: the cluster example under the register entry', {
  timeout: 120_000,
  skip: NEEDS_REGISTER_ENTRY,
}, () => {
  let redis: TestRedis;
  let client: Redis;
  let app: AppProcess;
  const appName = uniqueApp('cluster');

  before(async () => {
    redis = await startRedis();
    client = redis.client();
    app = await startNode(
      ['--import', '@gravito/pulse-node/register', 'server.mjs'],
      { OTEL_SERVICE_NAME: appName, REDIS_URL: redis.url, PULSE_INTERVAL_MS: '500', WORKERS: '2' },
      CLUSTER_APP,
      45_000, // three processes loading OpenTelemetry on a shared, loaded box
    );
  });
  after(async () => {
    await app?.stop();
    await redis?.stop();
  });

  const heartbeats = async () => {
    const result: PulseHeartbeat[] = [];
    for (const key of await client.keys(`pulse:server:${appName}:*`)) {
      const parsed = parseHeartbeat(await client.get(key));
      assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
      result.push(parsed.value);
    }
    return result;
  };

  it("the primary's heartbeat lists its 2 workers with pid, command name, CPU and RSS", async () => {
    const primary = await waitFor(
      'a heartbeat listing 2 workers',
      async () => (await heartbeats()).find((hb) => hb.process.pid === app.child.pid && hb.processes?.length === 2),
      30_000,
    );
    // Each worker runs the register entry too (execArgv): its own heartbeat carries its pid.
    const workerPids = (await waitFor('3 heartbeats', async () => ((await heartbeats()).length === 3 ? heartbeats() : undefined), 10_000))
      .map((hb) => hb.process.pid)
      .filter((pid) => pid !== app.child.pid)
      .sort();
    assert.deepEqual(primary.processes?.map((p) => p.pid).sort(), workerPids);
    for (const worker of primary.processes ?? []) {
      assert.equal(worker.kind, 'cluster');
      assert.equal(worker.name, 'node');
      assert.ok(worker.memory_rss > 10 * 1024 * 1024, `rss ${worker.memory_rss}`);
      assert.ok(worker.cpu_usage >= 0 && worker.cpu_usage <= 100);
    }
  });
});

describe('worker processes: children found in /proc, and pids the app tells about', { skip: process.platform !== 'linux' }, () => {
  it('reports a direct child by its command name, a tracked pid by the name given, and forgets both when they end', async () => {
    const collector = new WorkerCollector(true);
    // A direct child (sh), and a grandchild (sleep: not our child, only found when tracked).
    const child = spawn('sh', ['-c', 'sleep 30 & echo $!; wait'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    const grandchild = Number(line.toString().trim());
    // The subshell prints the pid as it forks. The fork is a copy of the shell, with memory; while it execs `sleep`,
    // /proc reads its RSS as 0 for a moment (a true reading, which the check below would take for a fault). So the
    // wait is for `sleep` itself (its command name in /proc) with memory: from then on its RSS stays above 0.
    const runsSleep = async () => {
      const stat = await readFile(`/proc/${grandchild}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const rssPages = Number(stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[21]);
      return comm === 'sleep' && rssPages > 0;
    };
    await waitFor('the grandchild to run sleep', async () => ((await runsSleep()) ? true : undefined), 5_000);
    collector.track(grandchild, 'sleeper');
    // Only ours: the test runner may have children of its own.
    const ours = (list: Awaited<ReturnType<WorkerCollector['sample']>>) => list.filter((p) => p.pid === child.pid || p.pid === grandchild);
    const sample = ours(await collector.sample());
    assert.deepEqual(
      sample.map(({ pid, name, kind }) => ({ pid, name, kind })).sort((a, b) => a.pid - b.pid),
      [
        { pid: child.pid, name: 'sh', kind: 'child' },
        { pid: grandchild, name: 'sleeper', kind: 'child' },
      ].sort((a, b) => (a.pid ?? 0) - (b.pid ?? 0)),
    );
    for (const p of sample) assert.ok(p.memory_rss > 0 && p.cpu_usage >= 0, JSON.stringify(p));
    process.kill(grandchild, 'SIGKILL');
    await once(child, 'exit');
    assert.deepEqual(ours(await collector.sample()), []);
    collector.track(grandchild); // gone: tracking it again reports nothing
    assert.deepEqual(ours(await collector.sample()), []);
  });

  it('is off with processes: false', async () => {
    const child = spawn('sleep', ['5']);
    const collector = new WorkerCollector(false);
    assert.deepEqual(await collector.sample(), []);
    child.kill();
  });
});

describe('worker processes: in the heartbeat', { skip: process.platform !== 'linux' }, () => {
  it('lists a child while it runs and drops it once it ended (no figures left over from an earlier collection)', async () => {
    const redis = await startRedis();
    const client = redis.client();
    const appName = uniqueApp('workers-ended');
    const pulse = createPulse({ redis: redis.url, appName });
    const provider = new MeterProvider({ readers: [pulse.metricReader] });
    const child = spawn('sleep', ['30']);
    const listed = async () => {
      await pulse.forceFlush();
      const [key] = await client.keys(`pulse:server:${appName}:*`);
      const parsed = parseHeartbeat(key === undefined ? null : await client.get(key));
      assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
      return (parsed.value.processes ?? []).some((p) => p.pid === child.pid);
    };
    try {
      assert.equal(await listed(), true);
      child.kill();
      await once(child, 'exit');
      assert.equal(await listed(), false);
    } finally {
      child.kill();
      await provider.shutdown();
      await pulse.shutdown();
      await redis.stop();
    }
  });
});
