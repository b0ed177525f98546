import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errorsKey, type PulseHeartbeat, parseErrorMember, parseHeartbeat, parseSlowStreamFields, slowKey } from '@gravito/pulse-protocol';
import { findBun, NO_BUN, startRedis, type TestRedis } from '@gravito/pulse-testkit';
import type { Redis } from 'ioredis';
import { type AppProcess, assertCleanStderr, BUN_EXAMPLE_SERVER, get, startBunApp, uniqueApp, waitFor } from './helpers.js';

// The Bun.serve example app under a real Bun, against a real Redis: what Pulse writes must read exactly like a
// Node app's heartbeat, slow entry and error, with the runtime named right.
const bun = findBun();

describe('Bun.serve example app → Redis (acceptance)', { skip: bun ? false : NO_BUN }, () => {
  let redis: TestRedis;
  let client: Redis;
  let app: AppProcess;
  const appName = uniqueApp('bun');
  const INTERVAL_MS = 400;

  before(async () => {
    redis = await startRedis();
    client = redis.client();
    app = await startBunApp(bun as string, BUN_EXAMPLE_SERVER, {
      REDIS_URL: redis.url,
      PULSE_APP_NAME: appName,
      PULSE_INTERVAL_MS: String(INTERVAL_MS),
      PULSE_TTL_SECONDS: '5',
      PULSE_FLUSH_INTERVAL_MS: '100',
    });
  });
  after(async () => {
    await app?.stop();
    await redis?.stop();
  });

  const heartbeat = async (): Promise<PulseHeartbeat | undefined> => {
    const [key] = await client.keys(`pulse:server:${appName}:*`);
    if (key === undefined) return undefined;
    const parsed = parseHeartbeat(await client.get(key));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    return parsed.value;
  };

  it('heartbeats say runtime "bun" with Bun\'s version, consistent heap figures, and no made-up event-loop zeros', async () => {
    const hb = await waitFor('a heartbeat', heartbeat, 5_000);
    assert.equal(hb.meta.runtime, 'bun');
    // Bun's own version (1.x), not the Node version it imitates (v26.x).
    assert.match(hb.process.runtime_version ?? '', /^1\.\d+\.\d+/);
    const heap = hb.process.memory_heap ?? 0;
    assert.ok(heap > 0 && (hb.process.memory_heap_total ?? 0) >= heap);
    // Bun cannot measure utilization: absent, or real, never a 0 standing for "unknown".
    const el = hb.process.event_loop;
    assert.ok(el, 'event-loop delay is measured on Bun');
    assert.ok(el.utilization === undefined || el.utilization > 0, JSON.stringify(el));
  });

  it("a 300 ms block of the event loop shows in the next heartbeats' delay p99", async () => {
    assert.equal((await get(`${app.url}/block?ms=300`)).status, 200);
    const hb = await waitFor(
      'a heartbeat with the block',
      async () => {
        const h = await heartbeat();
        return (h?.process.event_loop?.delay_p99_ms ?? 0) >= 250 ? h : undefined;
      },
      5_000,
    );
    assert.ok((hb.process.event_loop?.delay_p99_ms ?? 0) < 5_000);
  });

  it('a slow request gives one slow entry named by its route; a thrown error gives one error with its route', async () => {
    assert.equal((await get(`${app.url}/`)).status, 200);
    assert.equal((await get(`${app.url}/slow/42?ms=1100`)).status, 200);
    assert.equal((await get(`${app.url}/error`)).status, 500);
    const entries = await waitFor(
      'a slow entry',
      async () => {
        const rows = await client.xrange(slowKey(appName), '-', '+');
        return rows.length > 0 ? rows : undefined;
      },
      4_000,
    );
    assert.equal(entries.length, 1);
    const slow = parseSlowStreamFields((entries[0] as [string, string[]])[1]);
    assert.ok(slow.ok, slow.ok ? '' : slow.error);
    assert.equal(slow.value.kind, 'request');
    assert.equal(slow.value.name, 'GET /slow/:id');
    assert.equal(slow.value.route, '/slow/:id');
    assert.equal(slow.value.status, 200);
    assert.ok(slow.value.duration_ms >= 1100, `duration ${slow.value.duration_ms}`);

    const members = await waitFor(
      'an error member',
      async () => {
        const m = await client.zrange(errorsKey(appName), '0', '-1');
        return m.length > 0 ? m : undefined;
      },
      4_000,
    );
    assert.equal(members.length, 1);
    const error = parseErrorMember(members[0] as string);
    assert.ok(error.ok, error.ok ? '' : error.error);
    assert.equal(error.value.type, 'TypeError');
    assert.equal(error.value.message, 'example failure from /error');
    assert.equal(error.value.route, '/error');
  });

  it('stops cleanly on SIGTERM', async () => {
    const code = await app.stop();
    assert.equal(code, 0, `exit code ${code}; stderr:\n${app.stderr()}`);
    assertCleanStderr(app.stderr());
  });
});
