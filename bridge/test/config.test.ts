import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PULSE_EVENTS, type SystemPulseEvent } from '@gravito/pulse-protocol';
import { eventually, run, startRedis, type TestRedis } from '@gravito/pulse-testkit';
import { ConfigError, DEFAULTS, loadConfig } from '../src/index.js';
import { SseClient, waitFor } from './helpers.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

describe('configuration', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({}, []);
    assert.deepEqual(config, DEFAULTS);
    assert.equal(config.redisUrl, 'redis://127.0.0.1:6379');
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 9464);
    assert.equal(config.streamIntervalMs, 2_000);
  });

  it('reads the environment, and flags of the same names override it', () => {
    const env = {
      REDIS_URL: 'redis://redis.internal:6380',
      PULSE_BRIDGE_HOST: '0.0.0.0',
      PULSE_BRIDGE_PORT: '9000',
      PULSE_BRIDGE_TOKEN: 'a-long-enough-token',
      PULSE_CORS_ORIGINS: 'https://a.example.com, http://localhost:3000',
      PULSE_STREAM_INTERVAL_MS: '5000',
      PULSE_LOST_AFTER_MS: '20000',
    };
    const config = loadConfig(env, ['--pulse-bridge-port', '9100', '--stream-interval-ms=1000']);
    assert.equal(config.port, 9100);
    assert.equal(config.streamIntervalMs, 1_000);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.token, 'a-long-enough-token');
    assert.deepEqual(config.corsOrigins, ['https://a.example.com', 'http://localhost:3000']);
    assert.equal(config.lostAfterMs, 20_000);
    assert.equal(loadConfig({}, ['--redis-url', '10.0.0.1:7000,10.0.0.2:7000']).redisUrl, '10.0.0.1:7000,10.0.0.2:7000');
  });

  it('rejects bad values with one readable line', () => {
    const bad: [Record<string, string>, string[], RegExp][] = [
      [{ PULSE_STREAM_INTERVAL_MS: '500' }, [], /PULSE_STREAM_INTERVAL_MS=500 is out of range \(expected 1000 to 5000\)/],
      [{ PULSE_STREAM_INTERVAL_MS: '2s' }, [], /not an integer/],
      [{ PULSE_BRIDGE_PORT: '70000' }, [], /PULSE_BRIDGE_PORT/],
      [{}, ['--port', 'abc'], /^--port="abc" is not an integer/],
      [{}, ['--pulse-bridge-port=abc'], /^--pulse-bridge-port="abc" is not an integer/],
      [{ PULSE_STREAM_INTERVAL_MS: '-5' }, [], /^PULSE_STREAM_INTERVAL_MS=-5 is out of range \(expected 1000 to 5000\)/],
      [{}, ['--lost-after-ms', '-1'], /^--lost-after-ms=-1 is out of range/],
      [{ REDIS_URL: 'http://x' }, [], /redis:\/\//],
      [{ PULSE_CORS_ORIGINS: 'https://a.example.com/path' }, [], /bare origin/],
      [{ PULSE_CORS_ORIGINS: '*' }, [], /not an origin/],
      [{ PULSE_BRIDGE_TOKEN: 'short' }, [], /at least 16/],
      [{}, ['--bogus'], /unknown argument/],
      [{}, ['--port'], /needs a value/],
    ];
    for (const [env, argv, message] of bad) {
      assert.throws(
        () => loadConfig(env, argv),
        (err: Error) => err instanceof ConfigError && message.test(err.message) && !err.message.includes('\n'),
      );
    }
  });
});

describe('cli', () => {
  it('exits 2 with one line on invalid configuration', async () => {
    const { stderr } = await run(process.execPath, [CLI, '--port', 'abc'], {
      env: { ...process.env, PULSE_BRIDGE_PORT: '' },
      expectedExitCode: 2,
    });
    assert.equal(stderr.trim().split('\n').length, 1);
    assert.match(stderr, /^pulse-bridge: invalid configuration: /);
    await run(process.execPath, [CLI], { env: { ...process.env, PULSE_STREAM_INTERVAL_MS: '100' }, expectedExitCode: 2 });
  });

  describe('a running bridge', () => {
    let redis: TestRedis;
    let child: ChildProcess | undefined;
    before(async () => {
      redis = await startRedis();
    });
    after(async () => {
      child?.kill('SIGKILL');
      await redis?.stop();
    });

    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      it(`shuts down on ${signal} within 5 s, ending SSE clients, with one JSON log line per event`, async () => {
        const proc = spawn(process.execPath, [CLI, '--port', '0', '--stream-interval-ms', '1000'], {
          env: { ...process.env, REDIS_URL: redis.url, PULSE_LOG_LEVEL: 'info' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        child = proc;
        let out = '';
        let err = '';
        proc.stdout?.on('data', (chunk) => {
          out += chunk;
        });
        proc.stderr?.on('data', (chunk) => {
          err += chunk;
        });
        // The bridge's own words, for a bridge that does not start or stop as it should.
        const output = () => `stdout:\n${out}\nstderr:\n${err}`;
        const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
        const port = await eventually(
          'the listening log line',
          async () => {
            const line = out.split('\n').find((l) => l.includes('pulse-bridge listening'));
            return line ? (JSON.parse(line).port as number) : undefined;
          },
          10_000,
          { everyMs: 25, context: output },
        );
        const sse = await SseClient.connect(`http://127.0.0.1:${port}/api/pulse/stream`);
        // A poll has read Redis (said as `redis reachable`) before the signal.
        await sse.waitFor<SystemPulseEvent>(PULSE_EVENTS.systemPulse, (e) => e.redis_up, 3_000);
        const started = Date.now();
        proc.kill(signal);
        const code = await exited;
        assert.equal(code, 0, `exit code ${code}\n${output()}`);
        assert.ok(Date.now() - started < 5_000, 'exits within 5 s');
        await waitFor(() => sse.ended, 2_000, 'SSE stream ended');
        const lines = out.trim().split('\n');
        for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), line);
        assert.ok(lines.some((l) => JSON.parse(l).msg === 'pulse-bridge stopped'));
        assert.ok(lines.some((l) => JSON.parse(l).msg === 'redis reachable'));
        // Closing its own connection on the way out is not an outage.
        assert.ok(!lines.some((l) => JSON.parse(l).msg === 'redis unreachable'), out);
        child = undefined;
      });
    }
  });
});
