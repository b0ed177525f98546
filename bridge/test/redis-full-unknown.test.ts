// A Redis that is full (maxmemory, noeviction) seen by a bridge user that may not run INFO (issue 22): whether
// Redis is full is unknown, and the bridge says so, never "not full"; its output stays JSON lines.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PULSE_EVENTS, type PulseStatusEvent } from '@gravito/pulse-protocol';
import { eventually, startRedis, type TestRedis } from '@gravito/pulse-testkit';
import { SseClient, waitFor, writeHeartbeat } from './helpers.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
/** Every command and key but INFO, as a locked-down bridge user is granted (`+@read +ping …` has no INFO either). */
const USER = 'pulse-no-info';
const PASSWORD = 'no-info-password';

describe('a full Redis behind a user without INFO', () => {
  let redis: TestRedis;
  let child: ChildProcess | undefined;
  let out = '';
  let err = '';
  let url = '';
  let sse: SseClient;

  before(async () => {
    redis = await startRedis({ args: ['--maxmemory', '4mb', '--maxmemory-policy', 'noeviction'] });
    const admin = redis.client();
    await admin.call('ACL', 'SETUSER', USER, 'on', `>${PASSWORD}`, '~*', '&*', '+@all', '-info');
    await writeHeartbeat(admin, 'full-redis', 'web-1');
    let refused = false;
    for (let i = 0; i < 1_000 && !refused; i++) {
      try {
        await admin.set(`filler:${i}`, 'x'.repeat(16 * 1024));
      } catch (e) {
        refused = /OOM/.test((e as Error).message);
      }
    }
    assert.ok(refused, 'Redis refuses writes');
    const asUser = new URL(redis.url);
    asUser.username = USER;
    asUser.password = PASSWORD;
    // The real CLI, whose stdout and stderr are what an operator's log collector reads.
    child = spawn(process.execPath, ['--import', 'tsx', CLI, '--port', '0', '--stream-interval-ms', '1000'], {
      env: { ...process.env, REDIS_URL: asUser.href, PULSE_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      err += chunk;
    });
    const port = await eventually(
      'the listening log line',
      async () => {
        const line = out.split('\n').find((l) => l.includes('pulse-bridge listening'));
        return line ? (JSON.parse(line).port as number) : undefined;
      },
      20_000,
      { everyMs: 25, context: () => `stdout:\n${out}\nstderr:\n${err}` },
    );
    url = `http://127.0.0.1:${port}`;
    sse = await SseClient.connect(`${url}/api/pulse/stream`);
    // Several polls, and INFO asked (and refused) more than once: it is read at most every 2 s.
    await sse.waitFor(PULSE_EVENTS.systemPulse, () => true, 10_000);
    const from = sse.of(PULSE_EVENTS.systemPulse).length;
    await waitFor(() => sse.of(PULSE_EVENTS.systemPulse).length >= from + 5 || undefined, 15_000, 'five more polls');
  });
  after(async () => {
    await sse?.close();
    child?.kill('SIGTERM');
    await new Promise((resolve) => (child?.exitCode === null ? child.once('exit', resolve) : resolve(undefined)));
    await redis?.stop();
  });

  it('reports the Redis-full state as unknown in /metrics, never as 0', async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    assert.match(text, /^pulse_bridge_redis_up 1$/m);
    // NaN (prom-client writes `Nan`; Prometheus reads any case).
    assert.match(text, /^pulse_bridge_redis_oom nan$/im);
    assert.match(text, /^pulse_bridge_redis_memory_used_bytes nan$/im);
    // 0 would read as "no limit".
    assert.match(text, /^pulse_bridge_redis_memory_max_bytes nan$/im);
  });

  it('writes nothing but JSON lines, on stdout and on stderr (no client warning in between)', () => {
    const lines = `${out}${err}`.split('\n').filter((line) => line.trim() !== '');
    assert.ok(lines.length > 0);
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), line);
  });

  it('says once in the log that Redis refuses INFO, and carries no redis_oom in pulse_status', () => {
    const refusals = out
      .split('\n')
      .filter((line) => line.includes('refuses INFO'))
      .map((line) => JSON.parse(line));
    assert.equal(refusals.length, 1);
    assert.match(String(refusals[0]?.err), /NOPERM/);
    const statuses = sse.of<PulseStatusEvent>(PULSE_EVENTS.status);
    assert.ok(statuses.length > 0);
    for (const status of statuses) assert.equal('redis_oom' in status, false, JSON.stringify(status));
  });
});
