// A writer whose XADD timed out after it reached Redis writes the entry again (exporter README, "What a retry may
// duplicate"): the bridge follows the protocol's reader rule, so the live feed, the rate, /metrics and the JSON
// API show it once, and the repeat is counted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  PULSE_EVENTS,
  type PulseSlowEvent,
  type SlowEntry,
  type SystemPulseEvent,
  slowKey,
  slowStreamFields,
} from '@gravito/pulse-protocol';
import { startRedis, type TestRedis } from '@gravito/pulse-testkit';
import type { Redis } from 'ioredis';
import { RepeatFilter } from '../src/monitor/repeat-filter.js';
import { getJson, SseClient, slowEntry, startBridge, waitFor, writeHeartbeat } from './helpers.js';

describe("a writer's repeated slow entries", () => {
  const app = 'retrying';
  let server: TestRedis;
  let redis: Redis;
  let bridge: Awaited<ReturnType<typeof startBridge>>;
  let sse: SseClient;

  before(async () => {
    server = await startRedis();
    redis = server.client();
    await writeHeartbeat(redis, app, 'web-1');
    bridge = await startBridge({ redisUrl: server.url });
    sse = await SseClient.connect(`${bridge.url}/api/pulse/stream`);
    await sse.waitFor<SystemPulseEvent>(PULSE_EVENTS.systemPulse, (e) => e.apps.some((a) => a.app === app), 5_000);
    // Followed from the poll after the app was first seen: entries written from now on are new.
    const ticks = bridge.bridge.monitor.ticks;
    await waitFor(() => bridge.bridge.monitor.ticks >= ticks + 2 || undefined, 5_000, 'two more polls');
  });
  after(async () => {
    await sse?.close();
    await bridge?.stop();
    await server?.stop();
  });

  it('shows each entry once and counts the repeats', async () => {
    const spanned = slowEntry({ span_id: '00f067aa0ba902b7', server_id: 'web-1' });
    const otherSpan = { ...spanned, span_id: '00f067aa0ba902b8' };
    const { span_id: _, ...unspanned } = slowEntry({ route: '/no-span', name: 'GET /no-span', server_id: 'web-1' });
    const write = async (entry: SlowEntry) => (await redis.xadd(slowKey(app), '*', ...slowStreamFields(entry))) as string;
    const first = await write(spanned);
    await write(spanned); // the retry of a write that had landed
    await write(otherSpan); // another request: same route, same millisecond, another span
    const unspannedFirst = await write(unspanned);
    await write({ ...unspanned }); // its retry: the same JSON
    const last = await write({ ...unspanned, duration_ms: unspanned.duration_ms + 1 }); // not a repeat

    await sse.waitFor<PulseSlowEvent>(PULSE_EVENTS.slow, (e) => e.stream_id === last, 5_000);
    const ticks = bridge.bridge.monitor.ticks;
    await waitFor(() => bridge.bridge.monitor.ticks >= ticks + 2 || undefined, 5_000, 'two more polls');
    const live = sse.of<PulseSlowEvent>(PULSE_EVENTS.slow).filter((e) => e.app === app);
    assert.equal(live.length, 4, live.map((e) => e.stream_id).join(' '));
    assert.deepEqual(
      live.map((e) => e.stream_id).filter((id) => id === first || id === unspannedFirst),
      [first, unspannedFirst],
      'the first of each pair is the one kept',
    );
    assert.equal(bridge.bridge.monitor.appFeeds.slowRepeats, 2);
    const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
    assert.match(metrics, /\npulse_bridge_slow_repeats_total 2\n/);
    assert.match(metrics, new RegExp(`\\npulse_slow_entry_duration_seconds_count\\{[^}]*app="${app}"[^}]*\\} 4\\n`));

    const listed = await getJson(`${bridge.url}/api/pulse/slow?app=${app}&limit=10`);
    assert.equal(listed.status, 200);
    const ids = (listed.body.entries as { stream_id: string }[]).map((e) => e.stream_id);
    assert.equal(ids.length, 4, ids.join(' '));
    assert.ok(ids.includes(first) && ids.includes(unspannedFirst) && ids.includes(last));
  });
});

describe('the repeat filter', () => {
  it('forgets an identity past the window, and the oldest past its cap', () => {
    const recent = new RepeatFilter(30_000, 3);
    assert.equal(recent.isRepeat('a', 1_000), false);
    assert.equal(recent.isRepeat('a', 2_000), true);
    assert.equal(recent.isRepeat('a', 31_001), false, 'read 30 s and 1 ms ago: not a repeat any more');
    for (const id of ['b', 'c', 'd']) recent.isRepeat(id, 31_002);
    assert.equal(recent.isRepeat('a', 31_003), false, 'the oldest of four, forgotten at a cap of three');
    assert.equal(recent.isRepeat('d', 31_004), true);
  });
});
