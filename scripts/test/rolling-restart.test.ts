// Acceptance for "stopped is not lost", on the demo stack with a real Prometheus evaluating the shipped rules:
// a rolling restart of the example app (SIGTERM, then start again) gives no lost server, no health points off
// for a lost server and no PulseServerLost alert; kill -9 still gives a lost server and the alert.
// Only the alert's `for:` is shortened, in a copy of rules.yml, so that the test takes seconds rather than minutes.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AppSnapshot, SystemPulseEvent } from '@gravito/pulse-protocol';
import { eventually, findRedisServer, which } from '@gravito/pulse-testkit';
import { Child } from '../demo/processes.js';
import { EXAMPLE_DIR, ROOT, RULES_FILE, type Stack, startStack } from '../demo/stack.js';

const skip = !which('prometheus') ? 'prometheus not on PATH' : !process.env.REDIS_URL && !findRedisServer() ? 'no redis-server' : false;
const APP = 'rolling-demo';
const INTERVAL_MS = 500;
const ALERT_FOR = '3s';

async function json<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3_000) });
  assert.equal(res.status, 200, url);
  return (await res.json()) as T;
}

describe('rolling restart vs crash, through the bridge into Prometheus', { skip }, () => {
  let stack: Stack;
  let dir: string;
  const extra: Child[] = [];
  const env = { PULSE_APP_NAME: APP, PULSE_INTERVAL_MS: String(INTERVAL_MS), PULSE_STREAM_INTERVAL_MS: '1000' };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pulse-rolling-'));
    const rules = join(dir, 'rules.yml');
    const shipped = readFileSync(RULES_FILE, 'utf8');
    const fast = shipped.replace(/(- alert: PulseServerLost\n(?:(?!- alert:)[\s\S])*?for: )1m/, `$1${ALERT_FOR}`);
    assert.notEqual(fast, shipped, 'the PulseServerLost rule has a for: to shorten');
    writeFileSync(rules, fast);
    stack = await startStack({ bridgePort: 0, appPort: 0, prometheusPort: 0, traffic: false, env, ruleFiles: [rules] });
  });
  after(async () => {
    for (const child of extra) child.process.kill('SIGKILL');
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const app = async (): Promise<AppSnapshot | undefined> =>
    (await json<SystemPulseEvent>(`${stack.bridgeUrl}/api/pulse/servers?app=${APP}`)).apps.find((a) => a.app === APP);
  const promQuery = async (query: string): Promise<{ metric: Record<string, string> }[]> =>
    (
      await json<{ data: { result: { metric: Record<string, string> }[] } }>(
        `${stack.prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`,
      )
    ).data.result;
  const startApp = async (): Promise<Child> => {
    const child = new Child('app-next', process.execPath, ['--import', 'tsx', join(EXAMPLE_DIR, 'server.ts')], {
      cwd: ROOT,
      env: { ...process.env, ...env, REDIS_URL: stack.redisUrl, PORT: '0' },
    });
    extra.push(child);
    await child.waitForLine(/listening on/, 30_000);
    return child;
  };

  it('SIGTERM then start again: stopped, never lost, no alert; kill -9: lost and the alert fires', async () => {
    await eventually(
      'the app online in Prometheus',
      async () => (await promQuery(`pulse_server_up{app="${APP}"} == 1`)).length === 1,
      30_000,
    );

    // Watch the bridge through the whole restart, every 200 ms.
    const statuses = new Set<string>();
    const reasons = new Set<string>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const snapshot = await app().catch(() => undefined);
        for (const server of snapshot?.servers ?? []) statuses.add(server.status);
        for (const reason of snapshot?.health.reasons ?? []) reasons.add(reason);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();

    const first = stack.children.find((c) => c.name === 'app') as Child;
    await first.stop();
    const next = await startApp();
    // Long enough for the old server to pass its lost-after (3 × 500 ms) and the shortened alert's for: many times.
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    watching = false;
    await watcher;
    assert.ok(statuses.has('stopped'), `the old server was seen as stopped (${[...statuses]})`);
    assert.ok(!statuses.has('lost'), `no server was ever lost (${[...statuses]})`);
    assert.deepEqual(
      [...reasons].filter((r) => /lost|no server online/.test(r)),
      [],
      'no health points off for a lost server',
    );
    assert.deepEqual(await promQuery(`pulse_server_up{app="${APP}"} == 0`), []);
    assert.deepEqual(await promQuery(`max_over_time(ALERTS{alertname="PulseServerLost", app="${APP}"}[1m])`), [], 'not even pending');
    assert.equal((await promQuery(`pulse_server_up{app="${APP}"} == 1`)).length, 1, 'the new instance is up');

    // A crash says no goodbye: lost on the bridge, and the alert fires.
    next.process.kill('SIGKILL');
    const lost = await eventually(
      'the crashed server lost on the bridge',
      async () => {
        const snapshot = await app();
        return snapshot && snapshot.servers_lost === 1 ? snapshot : undefined;
      },
      10_000,
    );
    assert.ok(
      lost.health.reasons.some((r) => /lost|no server online/.test(r)),
      lost.health.reasons.join('; '),
    );
    const firing = await eventually(
      'PulseServerLost firing',
      async () => {
        const alerts = await promQuery(`ALERTS{alertname="PulseServerLost", alertstate="firing", app="${APP}"}`);
        return alerts.length === 1 ? alerts[0] : undefined;
      },
      20_000,
    );
    assert.equal(firing?.metric.app, APP);
  });
});
