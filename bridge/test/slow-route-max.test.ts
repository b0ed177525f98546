import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type SlowEntry, slowKey, slowStreamFields } from '@gravito/pulse-protocol';
import { run, startRedis, type TestRedis } from '@gravito/pulse-testkit';
import type { Redis } from 'ioredis';
import { SLOW_ROUTE_SLOT_MS, SLOW_ROUTE_WINDOW_MS, WindowMax } from '../src/outputs/metrics/window-max.js';
import { manualMetrics, manualMonitor, slowEntry, startBridgeSeeing, waitFor, writeHeartbeat } from './helpers.js';

const GAUGE = 'pulse_slow_route_max_duration_seconds';

/** Every sample of a family for one app, as `kind method route` → value. */
function samples(text: string, family: string, app: string): Map<string, number> {
  const out = new Map<string, number>();
  const line = new RegExp(`^${family}\\{app="${app}",kind="([a-z]+)",method="([A-Za-z]+)",route="([^"]*)"\\} (\\S+)$`, 'gm');
  for (const m of text.matchAll(line)) out.set(`${m[1]} ${m[2]} ${m[3]}`, Number(m[4]));
  return out;
}

async function addSlow(client: Redis, app: string, patch: Partial<SlowEntry>): Promise<void> {
  await client.xadd(slowKey(app), '*', ...slowStreamFields(slowEntry(patch)));
}

describe('pulse_slow_route_max_duration_seconds', () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  it('serves the slowest entry per route on /metrics, with the route cap of pulse_slow_entries_total', async () => {
    const app = 'slow-route-max';
    const client = redis.client();
    const bridge = await startBridgeSeeing(redis, app, { metricsMaxRoutes: 2 });
    try {
      // Two routes with known durations; /a's slowest comes first, then a faster one that must not lower it.
      await addSlow(client, app, { route: '/a', name: 'GET /a', duration_ms: 1_500 });
      await addSlow(client, app, { route: '/a', name: 'GET /a', duration_ms: 2_500 });
      await addSlow(client, app, { route: '/a', name: 'GET /a', duration_ms: 1_250 });
      await addSlow(client, app, { route: '/b', name: 'GET /b', duration_ms: 3_250 });
      await addSlow(client, app, { route: '/b', name: 'POST /b', method: 'POST', duration_ms: 800 });
      // A third route is past the cap of 2: it goes to `other`, in the gauge as in the counter, counted once.
      await addSlow(client, app, { route: '/c', name: 'GET /c', duration_ms: 4_000 });
      const metrics = () => fetch(`${bridge.url}/metrics`).then((res) => res.text());
      const text = await waitFor(
        async () => {
          const body = await metrics();
          const counts = [...samples(body, 'pulse_slow_entries_total', app).values()];
          return counts.reduce((n, c) => n + c, 0) === 6 ? body : undefined;
        },
        5_000,
        'six slow entries counted',
      );

      assert.deepEqual(
        samples(text, GAUGE, app),
        new Map([
          ['request GET /a', 2.5],
          ['request GET /b', 3.25],
          ['request POST /b', 0.8],
          ['request GET other', 4],
        ]),
      );
      // The gauge's label sets are exactly the counter's.
      assert.deepEqual(new Set(samples(text, 'pulse_slow_entries_total', app).keys()), new Set(samples(text, GAUGE, app).keys()));
      assert.match(text, new RegExp(`\n# TYPE ${GAUGE} gauge\n`));
      assert.match(text, /\npulse_bridge_label_overflow_total\{label="route"\} 1\n/);
      await run('promtool', ['check', 'metrics'], { input: text });

      const open = await (await fetch(`${bridge.url}/metrics`, { headers: { accept: 'application/openmetrics-text' } })).text();
      assert.match(open, new RegExp(`\n# TYPE ${GAUGE} gauge\n`));
      assert.match(open, new RegExp(`\n${GAUGE}\\{app="${app}",kind="request",method="GET",route="/a"\\} 2.5\n`));
    } finally {
      await bridge.stop();
    }
  });

  it('drops a route once its window is empty (a fake clock drives the window; Redis and the monitor are real)', async () => {
    const app = 'slow-route-window';
    const client = redis.client();
    await writeHeartbeat(client, app, 'web-1');
    const { monitor, close } = await manualMonitor(redis.url);
    let now = 1_000_000;
    const metrics = manualMetrics(monitor, { maxRoutesPerApp: 10, clock: () => now });
    try {
      await monitor.tick(); // finds the app; its slow stream is followed from the next tick
      await addSlow(client, app, { route: '/a', name: 'GET /a', duration_ms: 2_000 });
      await monitor.tick();
      assert.deepEqual(samples(await metrics.scrape(), GAUGE, app), new Map([['request GET /a', 2]]));

      now += 30_000;
      await addSlow(client, app, { route: '/b', name: 'GET /b', duration_ms: 1_200 });
      await monitor.tick();
      assert.deepEqual(
        samples(await metrics.scrape(), GAUGE, app),
        new Map([
          ['request GET /a', 2],
          ['request GET /b', 1.2],
        ]),
      );

      // /a was read 65 s ago: past its window; /b (35 s ago) stays. The counter keeps both.
      now += 35_000;
      const text = await metrics.scrape();
      assert.deepEqual(samples(text, GAUGE, app), new Map([['request GET /b', 1.2]]));
      assert.equal(samples(text, 'pulse_slow_entries_total', app).size, 2);

      now += 35_000;
      const empty = await metrics.scrape();
      assert.equal(samples(empty, GAUGE, app).size, 0);
      assert.match(empty, new RegExp(`\n# TYPE ${GAUGE} gauge\n`));
      await run('promtool', ['check', 'metrics'], { input: empty });
    } finally {
      metrics.close();
      await close();
    }
  });
});

describe('WindowMax', () => {
  it('keeps each value between window and window + slot, and the largest one wins', () => {
    const w = new WindowMax<string>(SLOW_ROUTE_WINDOW_MS, SLOW_ROUTE_SLOT_MS);
    w.observe('k', 'k', 3, 1_000); // slot 0
    w.observe('k', 'k', 1, 7_000); // slot 5,000
    assert.deepEqual(w.collect(1_000 + SLOW_ROUTE_WINDOW_MS), [{ labels: 'k', value: 3 }]);
    // Slot 0 ends its life at window + slot: only the later, smaller value remains.
    assert.deepEqual(w.collect(SLOW_ROUTE_WINDOW_MS + SLOW_ROUTE_SLOT_MS), [{ labels: 'k', value: 1 }]);
    assert.deepEqual(w.collect(5_000 + SLOW_ROUTE_WINDOW_MS + SLOW_ROUTE_SLOT_MS), []);
    assert.equal(w.size, 0);
  });

  it('holds at most window / slot + 1 slots per series, and a clock going back does not grow it', () => {
    const w = new WindowMax<string>(60_000, 5_000);
    for (let t = 0; t < 600_000; t += 100) w.observe('k', 'k', t === 590_000 ? 99 : 1, t);
    const slots = (w as unknown as { series: Map<string, { slots: unknown[] }> }).series.get('k')?.slots.length;
    assert.ok(slots !== undefined && slots <= 13, `${slots} slots`);
    w.observe('k', 'k', 7, 10_000);
    assert.equal((w as unknown as { series: Map<string, { slots: unknown[] }> }).series.get('k')?.slots.length, slots);
    assert.deepEqual(w.collect(600_000), [{ labels: 'k', value: 99 }]);
    w.observe('nan', 'nan', Number.NaN, 600_000);
    assert.equal(w.size, 1);
  });
});
