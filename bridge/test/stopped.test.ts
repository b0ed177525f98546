import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { heartbeatKey, PULSE_EVENTS, type PulseHeartbeat, type SystemPulseEvent } from '@gravito/pulse-protocol';
import { startRedis } from '@gravito/pulse-testkit';
import { pino } from 'pino';
import { assembleBridge } from '../src/assemble.js';
import { healthScore } from '../src/index.js';
import { SseClient, suiteRedisAndBridge, waitFor, writeHeartbeat } from './helpers.js';

// A server that shut down gracefully writes a last heartbeat with `state: stopped` (protocol/README.md).
// It is a deploy, not an incident: shown as stopped, no health points off, no pulse_server_up 0 for the
// PulseServerLost alert, and forgotten as soon as its key is gone. A crash (no goodbye) stays lost.
describe('stopped is not lost', () => {
  const suite = suiteRedisAndBridge(100);

  const appOf = async (app: string): Promise<SystemPulseEvent['apps'][number] | undefined> => {
    const res = await fetch(`${suite.bridge.url}/api/pulse/servers?app=${app}`);
    const body = (await res.json()) as SystemPulseEvent;
    return body.apps.find((a) => a.app === app);
  };

  it('shows a stopped server as stopped in the API, SSE and /metrics, with no health points off', async () => {
    const { client } = suite;
    const app = 'deploy';
    const calm = (hb: PulseHeartbeat) => {
      hb.system.cpu_usage = 10;
      hb.system.memory_free = hb.system.memory_total;
      hb.system.disks = [];
      hb.meta.interval_ms = 200;
      delete hb.state;
    };
    await writeHeartbeat(client, app, 'old', (hb) => {
      calm(hb);
      // Older than its lost-after (3 × 200 ms): only the state keeps it from being lost.
      hb.timestamp = Date.now() - 5_000;
      hb.state = 'stopped';
    });
    await writeHeartbeat(client, app, 'new', (hb) => {
      calm(hb);
      // Written once: a long interval keeps it online however slowly this (shared, loaded) machine runs the test.
      hb.meta.interval_ms = 60_000;
    });
    const sse = await SseClient.connect(`${suite.bridge.url}/api/pulse/stream`);
    try {
      const seen = await sse.waitFor<SystemPulseEvent>(
        PULSE_EVENTS.systemPulse,
        (event) => event.apps.some((a) => a.app === app && a.servers.length === 2),
        3_000,
      );
      const sseApp = seen.apps.find((a) => a.app === app);
      assert.deepEqual(
        sseApp?.servers.map((s) => [s.id, s.status]),
        [
          ['new', 'online'],
          ['old', 'stopped'],
        ],
      );
    } finally {
      await sse.close();
    }
    const snapshot = await appOf(app);
    assert.equal(snapshot?.servers_online, 1);
    assert.equal(snapshot?.servers_lost, 0);
    assert.equal(snapshot?.servers_stopped, 1);
    assert.deepEqual(snapshot?.health, { score: 100, reasons: [] });

    const metrics = await (await fetch(`${suite.bridge.url}/metrics`)).text();
    assert.match(metrics, /^pulse_server_up\{app="deploy",server="new"\} 1$/m);
    assert.doesNotMatch(metrics, /server="old"/, 'a stopped server has no per-server series');
    assert.match(metrics, /^pulse_app_servers\{app="deploy",status="stopped"\} 1$/m);
    assert.match(metrics, /^pulse_app_servers\{app="deploy",status="lost"\} 0$/m);
  });

  it('forgets a stopped server once its key is gone; a crashed one stays lost', async () => {
    const { client } = suite;
    const app = 'goodbye';
    await writeHeartbeat(client, app, 'stopped', (hb) => {
      hb.meta.interval_ms = 200;
      hb.state = 'stopped';
    });
    await writeHeartbeat(client, app, 'crashed', (hb) => {
      hb.meta.interval_ms = 200;
      delete hb.state;
    });
    await waitFor(async () => ((await appOf(app))?.servers.length === 2 ? true : undefined), 3_000, 'both servers known');
    await client.del(heartbeatKey(app, 'stopped'), heartbeatKey(app, 'crashed'));
    const after = await waitFor(
      async () => {
        const snapshot = await appOf(app);
        return snapshot?.servers.length === 1 ? snapshot : undefined;
      },
      3_000,
      'the stopped server forgotten',
    );
    assert.deepEqual(
      after.servers.map((s) => [s.id, s.status]),
      [['crashed', 'lost']],
    );
    assert.equal(after.health.score, 0);
  });

  it('scores an app whose servers all stopped at 100: a deploy gap is not an outage', () => {
    assert.deepEqual(healthScore({ online: [], lost: 0, stopped: 2, slowPerMinute: 0, errorsPerMinute: 0 }), {
      score: 100,
      reasons: ['all 2 servers stopped (graceful shutdown)'],
    });
    assert.equal(healthScore({ online: [], lost: 1, stopped: 1, slowPerMinute: 0, errorsPerMinute: 0 }).score, 0);
  });
});

describe('a clean shutdown', () => {
  it('logs no "redis unreachable": closing its own connection is not an outage', async () => {
    const redis = await startRedis();
    const lines: { msg: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const bridge = assembleBridge({ redisUrl: redis.url, host: '127.0.0.1', port: 0 }, { logger, unsafeIntervalMs: 100 });
    try {
      await bridge.start();
      await waitFor(() => (bridge.monitor.isRedisUp() ? true : undefined), 3_000, 'redis reachable');
      await bridge.stop(2_000);
      // The connection's 'close' event comes after stop() resolves.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.ok(lines.some((l) => l.msg === 'pulse-bridge stopped'));
      assert.deepEqual(
        lines.filter((l) => l.msg === 'redis unreachable'),
        [],
      );
    } finally {
      await bridge.stop();
      await redis.stop();
    }
  });
});
