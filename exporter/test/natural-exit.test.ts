// A short-lived process (a script, a cron job, a CLI) started with the register entry ends when its own work does:
// the connection Pulse opened holds no process, and the natural exit (`beforeExit`) still writes the last heartbeat.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { heartbeatKey, parseHeartbeat } from '@gravito/pulse-protocol';
import { freePort, run, startRedis, startRedisCluster, type TestRedis, type TestRedisCluster } from '@gravito/pulse-testkit';
import { Cluster, type Redis } from 'ioredis';
import { NEEDS_REGISTER_ENTRY, uniqueApp, ZERO_CODE_EXAMPLES } from './helpers.js';

/** Its work: 2 s, long enough for Pulse to connect and write heartbeats first. */
const SCRIPT = "setTimeout(() => console.log('done'), 2000)";
/** Far beyond the ~3 s such a script takes with Pulse (its SDK's start included): a process held open is killed. */
const WITHIN_MS = 20_000;

/** Runs the script under the register entry to its end; what it printed. */
const runScript = (app: string, redisUrl: string) =>
  run(process.execPath, ['--import', '@gravito/pulse-node/register', '--input-type=module', '-e', SCRIPT], {
    cwd: ZERO_CODE_EXAMPLES,
    env: {
      ...process.env,
      OTEL_SERVICE_NAME: app,
      OTEL_RESOURCE_ATTRIBUTES: 'service.instance.id=script',
      REDIS_URL: redisUrl,
      PULSE_INTERVAL_MS: '500',
    },
    timeoutMs: WITHIN_MS,
  });

/** The script's last heartbeat, written as it ended, says it stopped. */
async function assertStopped(client: Redis | Cluster, app: string): Promise<void> {
  const parsed = parseHeartbeat(await client.get(heartbeatKey(app, 'script')));
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
  assert.equal(parsed.value.state, 'stopped');
}

describe('a script under the register entry ends when its work does', { skip: NEEDS_REGISTER_ENTRY }, () => {
  let redis: TestRedis;
  let cluster: TestRedisCluster;
  before(async () => {
    [redis, cluster] = await Promise.all([startRedis(), startRedisCluster()]);
  });
  after(async () => {
    await Promise.all([redis?.stop(), cluster?.stop()]);
  });

  it('with Redis up, after writing its last heartbeat', async () => {
    const app = uniqueApp('natural-exit');
    assert.match((await runScript(app, redis.url)).stdout, /^done$/m);
    await assertStopped(redis.client(), app);
  });

  it('on a Redis Cluster, after writing its last heartbeat', async () => {
    const app = uniqueApp('natural-exit-cluster');
    assert.match((await runScript(app, cluster.seeds)).stdout, /^done$/m);
    const client = new Cluster([...cluster.nodes]);
    try {
      await assertStopped(client, app);
    } finally {
      client.disconnect();
    }
  });

  it('with Redis unreachable, while Pulse waits to reconnect', async () => {
    const { stdout, stderr } = await runScript(uniqueApp('natural-exit-down'), `redis://127.0.0.1:${await freePort()}`);
    assert.match(stdout, /^done$/m);
    assert.match(stderr, /Redis is unreachable/);
  });
});
