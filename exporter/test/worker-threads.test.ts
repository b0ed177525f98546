// The register entry runs in every worker thread too (`--import`): the heartbeat stays the main thread's (a worker's
// ending must not mark a running process stopped), and a worker's slow calls are recorded all the same.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { heartbeatKey, parseHeartbeat, parseSlowStreamFields, slowKey } from '@gravito/pulse-protocol';
import { run, startRedis, type TestRedis } from '@gravito/pulse-testkit';
import { NEEDS_REGISTER_ENTRY, sleep, uniqueApp, ZERO_CODE_EXAMPLES } from './helpers.js';

const APP = fileURLToPath(new URL('./fixtures/worker-thread-app.mjs', import.meta.url));

describe('an app with a worker thread, under the register entry', { skip: NEEDS_REGISTER_ENTRY }, () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  it("heartbeats stay the main thread's through the worker's end; the worker's slow call is recorded", async () => {
    const app = uniqueApp('worker-thread');
    const client = redis.client();
    const env = {
      ...process.env,
      OTEL_SERVICE_NAME: app,
      OTEL_RESOURCE_ATTRIBUTES: 'service.instance.id=main',
      REDIS_URL: redis.url,
      // A worker's last word would stand until the main thread's next heartbeat, up to an interval later.
      PULSE_INTERVAL_MS: '1000',
      PULSE_THRESHOLD_MS: '100',
      PULSE_OUTGOING_THRESHOLD_MS: '100',
    };
    const running = run(process.execPath, ['--import', '@gravito/pulse-node/register', APP], {
      cwd: ZERO_CODE_EXAMPLES,
      env,
      timeoutMs: 30_000,
    });
    let ended = false;
    void running.finally(() => {
      ended = true;
    });
    // The heartbeat's state, sampled every 50 ms while the app runs.
    const samples: { at: number; state: string | undefined }[] = [];
    while (!ended) {
      const parsed = parseHeartbeat(await client.get(heartbeatKey(app, 'main')));
      if (parsed.ok) samples.push({ at: Date.now(), state: parsed.value.state });
      await sleep(50);
    }
    const { stdout } = await running;
    const workerEnded = Number(stdout.match(/worker ended (\d+)/)?.[1]);
    const mainStops = Number(stdout.match(/main stops (\d+)/)?.[1]);
    assert.ok(workerEnded > 0 && mainStops > workerEnded, stdout);
    // Between the worker's end and the main thread's stop (2 s), the process runs.
    const between = samples.filter((s) => s.at > workerEnded && s.at < mainStops);
    assert.ok(between.length >= 10, JSON.stringify(samples));
    assert.deepEqual(
      between.filter((s) => s.state === 'stopped'),
      [],
      'no heartbeat says stopped while the main thread runs',
    );
    const last = parseHeartbeat(await client.get(heartbeatKey(app, 'main')));
    assert.equal(last.ok && last.value.state, 'stopped', 'the main thread says it stopped when the process ends');
    const kinds = (await client.xrange(slowKey(app), '-', '+'))
      .map(([, fields]) => parseSlowStreamFields(fields))
      .map((e) => e.ok && e.value.kind);
    assert.deepEqual(kinds.sort(), ['outgoing', 'request'], "the worker's slow outgoing call and the main thread's slow request");
  });
});
