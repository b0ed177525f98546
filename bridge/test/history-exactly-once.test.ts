// Period views on a real Redis: slow entries and exceptions of known counts, written over several seconds (in
// 1 s buckets), are counted exactly once while one bridge restarts midway and a second one runs beside it
// throughout, with the apply script, with WATCH and MULTI/EXEC where Redis refuses scripts, and with one of each;
// server figures and the API's contract besides.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HistoryResponse, historyCursorKey } from '@gravito/pulse-protocol';
import { addUserWithoutScripts, asUserWithoutScripts } from '@gravito/pulse-testkit';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { suiteRedis, waitFor } from './helpers.js';
import { countsOf, history, ROUTES, sleep, startHistoryBridge, WrittenTally } from './history-fixtures.js';

const responseSchema = TypeCompiler.Compile(HistoryResponse);

describe('history counts each slow entry and exception exactly once', () => {
  const suite = suiteRedis();

  /** The first bridge (restarted midway) reads Redis at `firstUrl`, the second at `secondUrl`: the same server. */
  async function countedOnce(app: string, firstUrl: string, secondUrl: string): Promise<void> {
    const tally = new WrittenTally(suite.client, app);
    await tally.heartbeat('web-0');
    await tally.heartbeat('web-1');
    // Written before any bridge ran: counted too (the cursor starts at the stream's beginning).
    for (let i = 0; i < 5; i++) await tally.writeSlow(i);
    let first = await startHistoryBridge(firstUrl);
    const second = await startHistoryBridge(secondUrl);
    try {
      for (let round = 0; round < 24; round++) {
        for (let j = 0; j < 6; j++) await tally.writeSlow(5 + round * 6 + j);
        for (let j = 0; j < 2; j++) await tally.writeException(round * 2 + j);
        await tally.heartbeat('web-0');
        await tally.heartbeat('web-1');
        if (round === 10) {
          await first.stop();
          first = await startHistoryBridge(firstUrl);
        }
        await sleep(150);
      }
      const expectedSlow = Object.fromEntries([...tally.slow].map(([name, { count }]) => [name, count]));
      const expectedExceptions = Object.fromEntries(tally.exceptions);
      for (const bridge of [first, second]) {
        for (const period of ['1h', '7d']) {
          const counts = await waitFor(
            async () => {
              const c = countsOf(await history(bridge.url, `period=${period}&app=${app}`), app);
              return c.totalSlow === tally.totalSlow && c.totalExceptions === tally.totalExceptions ? c : undefined;
            },
            8_000,
            `${period}: ${tally.totalSlow} slow entries and ${tally.totalExceptions} exceptions counted`,
          );
          assert.deepEqual(counts.slow, expectedSlow, period);
          assert.deepEqual(counts.exceptions, expectedExceptions, period);
        }
      }
      // A few more passes of both bridges: nothing is added again.
      await sleep(1_500);
      const answer = await history(second.url, `period=1h&app=${app}&sort=max`);
      assert.ok(responseSchema.Check(answer), JSON.stringify([...responseSchema.Errors(answer)].slice(0, 3)));
      const { view, slow, exceptions } = countsOf(answer, app);
      assert.deepEqual(slow, expectedSlow);
      assert.deepEqual(exceptions, expectedExceptions);
      // sort=max: the slowest group first; max and average as written.
      const slowest = view?.slow[0];
      const writtenSlowest = [...tally.slow].sort((a, b) => b[1].max - a[1].max)[0] as [
        string,
        { max: number; sum: number; count: number },
      ];
      assert.equal(slowest?.name, writtenSlowest[0]);
      assert.equal(slowest?.max_ms, writtenSlowest[1].max);
      assert.equal(slowest?.avg_ms, Math.round((writtenSlowest[1].sum / writtenSlowest[1].count) * 100) / 100);
      assert.equal(view?.slow.length, ROUTES.length);
      const exception = view?.exceptions[0];
      assert.deepEqual(new Set(exception?.servers), new Set(['web-0', 'web-1']));
      // The latest occurrence's message and time, per group.
      for (const group of view?.exceptions ?? []) {
        const latest = tally.latest.get(group.fingerprint);
        assert.equal(group.last_seen, latest?.at);
        assert.ok(latest?.messages.includes(group.message), `${group.message} is the latest of ${group.fingerprint}`);
      }
      // Server series: one point per bucket with data, figures from the heartbeats, no zeros for the unmeasured.
      const server = view?.servers.find((s) => s.id === 'web-0');
      assert.ok(server && server.series.length >= 2, 'web-0 has a series');
      for (const point of server.series) {
        assert.equal(typeof point.cpu_avg, 'number');
        assert.ok((point.memory_used_max ?? 0) > 0);
      }
      const starts = server.series.map((p) => p.start);
      assert.deepEqual(
        starts,
        [...new Set(starts)].sort((a, b) => a - b),
        'one point per bucket, in order',
      );
      assert.ok((view?.health.length ?? 0) >= 2 && view?.health.every((h) => h.online === 2));
      // The cursor and the buckets share one hash slot (the app's hash tag).
      assert.match(historyCursorKey(app), new RegExp(`\\{${app}\\}`));
      const conflicts = first.bridge.history?.counts.values.cursor_conflicts ?? 0;
      const counted = (first.bridge.history?.counts.values.slow_counted ?? 0) + (second.bridge.history?.counts.values.slow_counted ?? 0);
      assert.ok(
        counted <= tally.totalSlow,
        `the bridges added ${counted} slow entries in all, of ${tally.totalSlow} written (${conflicts} conflicts)`,
      );
    } finally {
      await first.stop();
      await second.stop();
    }
  }

  it('across a restart and a second bridge on the same Redis', () =>
    countedOnce(`hist-once-${process.pid}`, suite.redis.url, suite.redis.url));

  it('without scripts (WATCH and MULTI/EXEC), across a restart and a second bridge', async () => {
    await addUserWithoutScripts(suite.client);
    const url = asUserWithoutScripts(suite.redis.url);
    await countedOnce(`hist-once-watched-${process.pid}`, url, url);
  });

  it('with one bridge running the script and one refused it', async () => {
    await addUserWithoutScripts(suite.client);
    await countedOnce(`hist-once-mixed-${process.pid}`, asUserWithoutScripts(suite.redis.url), suite.redis.url);
  });
});
