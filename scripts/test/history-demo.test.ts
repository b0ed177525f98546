// Issue 23's acceptance on the demo stack (a private redis-server, the bridge CLI, the example app with
// OpenTelemetry and its traffic generator), in a real headless Chromium. History's buckets are shortened through
// the CLI's PULSE_HISTORY_TIME_SCALE, so that the minutes of a demo pass in seconds. After several buckets of
// traffic (slow requests, a slow job, exceptions), the page is switched to 1 h: its grouped slow entries (kind, name,
// count) and exceptions (type, count) must equal what the app wrote into Redis, read raw from its stream and sorted
// set, and the example server's CPU graph must have one point per elapsed bucket, in one unbroken line.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  errorsKey,
  HISTORY_PERIOD_MS,
  type HistoryResponse,
  historyCursorKey,
  parseErrorMember,
  parseSlowStreamFields,
  slowKey,
} from '@gravito/pulse-protocol';
import { eventually, findRedisServer, launchChromium, skipWithoutChromium, type TestBrowser } from '@gravito/pulse-testkit';
import { Redis } from 'ioredis';
import { periodExceptionCounts, periodServerLine, periodSlowKinds, periodSlowRows } from '../../bridge/test/period-page.js';
import { type Stack, startStack } from '../demo/stack.js';

const APP = 'example-app';
/** The 1 h period lasts 2 min, in 2 s buckets: the whole test fits in it, so every entry written is inside it. */
const TIME_SCALE = 30;
const BUCKET_MS = 2_000;
const PERIOD_MS = HISTORY_PERIOD_MS['1h'] / TIME_SCALE;
/** Traffic runs this long once the stack is up: several buckets of slow entries, exceptions and CPU samples. */
const TRAFFIC_MS = 10_000;
/** Longer than the slowest route of the traffic (the 1.5 s job) and the exporter's flush: nothing is written after. */
const QUIET_AFTER_TRAFFIC_MS = 2_500;
const skip = skipWithoutChromium() || (process.env.REDIS_URL || findRedisServer() ? false : 'no REDIS_URL and no redis-server on PATH');

/** What Redis holds for the app, counted from the raw entries up to history's cursor. */
interface RawCounts {
  /** `kind name` → entries. */
  slow: Map<string, number>;
  /** fingerprint → type and occurrences. */
  exceptions: Map<string, { type: string; count: number }>;
  oldest: number;
}

/** Compares stream ids (`ms-seq`) as numbers: string order would put `9-0` after `10-0`. */
function idAtOrBefore(id: string, cursor: string): boolean {
  const [ms, seq] = id.split('-').map(BigInt) as [bigint, bigint];
  const [cursorMs, cursorSeq] = cursor.split('-').map(BigInt) as [bigint, bigint];
  return ms < cursorMs || (ms === cursorMs && seq <= cursorSeq);
}

/**
 * The raw entries that history's cursor covers (every slow entry up to its stream id, every exception scored up to
 * its score), grouped as the page groups them; undefined while some written entry is still beyond the cursor.
 */
async function countedRawEntries(redis: Redis): Promise<RawCounts | undefined> {
  const [cursor, stream, members] = await Promise.all([
    redis.hgetall(historyCursorKey(APP)),
    redis.xrange(slowKey(APP), '-', '+'),
    redis.zrange(errorsKey(APP), '0', '-1', 'WITHSCORES'),
  ]);
  if (!cursor.slow || !cursor.errors || stream.length === 0 || members.length === 0) return undefined;
  const counts: RawCounts = { slow: new Map(), exceptions: new Map(), oldest: Number.POSITIVE_INFINITY };
  for (const [id, fields] of stream) {
    if (!idAtOrBefore(id, cursor.slow)) return undefined;
    const entry = parseSlowStreamFields(fields);
    assert.ok(entry.ok, `slow entry ${id} is valid`);
    const group = `${entry.value.kind} ${entry.value.name}`;
    counts.slow.set(group, (counts.slow.get(group) ?? 0) + 1);
    counts.oldest = Math.min(counts.oldest, Number(id.split('-')[0]));
  }
  for (let i = 0; i < members.length; i += 2) {
    const score = Number(members[i + 1]);
    if (score > Number(cursor.errors)) return undefined;
    const entry = parseErrorMember(members[i] as string);
    assert.ok(entry.ok, 'exception member is valid');
    const group = counts.exceptions.get(entry.value.fingerprint) ?? { type: entry.value.type, count: 0 };
    group.count++;
    counts.exceptions.set(entry.value.fingerprint, group);
    counts.oldest = Math.min(counts.oldest, score);
  }
  return counts;
}

describe('period views on the demo stack, in Chromium', { skip }, () => {
  let stack: Stack;
  let redis: Redis;
  let browser: TestBrowser;
  let startedAt = 0;
  let upAt = 0;
  let counted: RawCounts;

  before(async () => {
    startedAt = Date.now();
    stack = await startStack({
      bridgePort: 0,
      appPort: 0,
      env: {
        PULSE_HISTORY_TIME_SCALE: String(TIME_SCALE),
        PULSE_STREAM_INTERVAL_MS: '1000',
        PULSE_INTERVAL_MS: '500',
        PULSE_FLUSH_INTERVAL_MS: '200',
        PULSE_LOG_LEVEL: 'warn',
        TRAFFIC_RPS: '8',
      },
    });
    upAt = Date.now();
    redis = new Redis(stack.redisUrl, { maxRetriesPerRequest: 1 });
    browser = await launchChromium();
    await new Promise((resolve) => setTimeout(resolve, TRAFFIC_MS));
    await stack.children.find((child) => child.name === 'traffic')?.stop();
    await new Promise((resolve) => setTimeout(resolve, QUIET_AFTER_TRAFFIC_MS));
    // Exceptions are counted once they are 10 s old (history's settle time, not scaled): until then they are
    // beyond the errors cursor.
    counted = await eventually('history to count every entry written', () => countedRawEntries(redis), 30_000, { everyMs: 250 });
  });
  after(async () => {
    await browser?.close();
    redis?.disconnect();
    await stack?.stop();
  });

  it('shows the grouped slow entries and exceptions that Redis holds, and one CPU point per elapsed bucket', async (t) => {
    assert.ok(counted.slow.size >= 2, `slow requests and jobs were written (${[...counted.slow.keys()]})`);
    assert.ok(counted.exceptions.size >= 1, 'exceptions were written');
    assert.ok(Date.now() - counted.oldest < PERIOD_MS - 10_000, 'every entry is inside the 1 h period (2 min here)');

    const { page, log } = await browser.open({ width: 1280, height: 900 });
    try {
      await page.goto(`${stack.bridgeUrl}/?app=${APP}`);
      const openedAt = Date.now();
      await page.getByRole('navigation', { name: 'Period' }).getByRole('link', { name: '1 h' }).click();
      await page.waitForURL(/[?&]period=1h(&|$)/);
      await page.locator(`#period-app-${APP} .period-slow-row`).first().waitFor();
      const shownAt = Date.now();

      // Slow entries: every kind's card, each row's name and count, as counted from the stream.
      const shown = new Map<string, number>();
      for (const kind of await periodSlowKinds(page, APP))
        for (const [name, count] of await periodSlowRows(page, APP, kind)) shown.set(`${kind} ${name}`, Number(count));
      const sorted = (map: Map<string, number>) => [...map].sort(([a], [b]) => a.localeCompare(b));
      assert.deepEqual(sorted(shown), sorted(counted.slow));

      // Exceptions: each group's type and count, as counted from the sorted set (grouped by fingerprint).
      const byType = (list: { type: string; count: number }[]) =>
        list.map((e) => `${e.type} × ${e.count}`).sort((a, b) => a.localeCompare(b));
      assert.deepEqual(byType(await periodExceptionCounts(page, APP)), byType([...counted.exceptions.values()]));

      // CPU: the demo's one server, sampled from the bridge's first poll after its first heartbeat (within an
      // interval and a heartbeat interval of the stack being up, with some slack for this busy machine), then a point
      // per bucket up to the page's read, in one line. A bucket is written when it closes, at the first poll after
      // its end: by the page's read, every bucket before the one it was opened in, give or take that last one.
      const history = (await (await fetch(`${stack.bridgeUrl}/api/pulse/history?period=1h&app=${APP}`)).json()) as HistoryResponse;
      assert.equal(history.bucket_ms, BUCKET_MS);
      const servers = history.apps.find((a) => a.app === APP)?.servers ?? [];
      assert.equal(servers.length, 1, 'the example app is one server');
      const server = servers[0]?.id as string;
      const first = servers[0]?.series.find((p) => typeof p.cpu_avg === 'number')?.start ?? Number.NaN;
      const bucketStart = (at: number) => Math.floor(at / BUCKET_MS) * BUCKET_MS;
      assert.ok(first >= bucketStart(startedAt) && first <= bucketStart(upAt + 3_000), `first CPU bucket ${first - startedAt} ms in`);
      const { d, points, runs } = await periodServerLine(page, APP, server, 'cpu');
      const [fewest, most] = [(bucketStart(openedAt) - first) / BUCKET_MS - 1, (bucketStart(shownAt) - first) / BUCKET_MS + 1];
      assert.ok(fewest >= 5, `several buckets elapsed (${fewest})`);
      assert.ok(points >= fewest && points <= most, `${points} CPU points, ${fewest}–${most} buckets elapsed (${d})`);
      assert.equal(runs, 1, `one unbroken line: no bucket missing (${d})`);
      t.diagnostic(
        `slow ${[...counted.slow.values()].reduce((n, c) => n + c, 0)} in ${counted.slow.size} groups, exceptions ` +
          `${[...counted.exceptions.values()].reduce((n, e) => n + e.count, 0)} in ${counted.exceptions.size}; ` +
          `CPU ${points} points for ${fewest}–${most} buckets`,
      );
      assert.deepEqual(log.errors, []);
    } finally {
      await page.close();
    }
  });
});
