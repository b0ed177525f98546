// Period views' bounds on a real Redis: groups past the per-bucket cap folded into `other` (counted), servers past
// the cap without a series (counted, logged once), a Redis that refuses scripts (counting with WATCH and
// MULTI/EXEC, said once), transactions too or a command the pass writes with (counting off, said once, nothing
// written half), and the route's parameters, auth and settings.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { slowKey, slowStreamFields } from '@gravito/pulse-protocol';
import {
  addUsersWithoutExpiry,
  addUserWithoutScripts,
  addUserWithoutTransactions,
  asUserWithoutExpiry,
  asUserWithoutScripts,
  asUserWithoutTransactions,
  changeUserOf,
} from '@gravito/pulse-testkit';
import { slowEntry, suiteRedis, waitFor } from './helpers.js';
import { countsOf, history, sleep, startHistoryBridge, WrittenTally } from './history-fixtures.js';

const metric = async (url: string, event: string) => {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(new RegExp(`^pulse_bridge_history_events_total\\{event="${event}"\\} (\\d+)`, 'm').exec(text)?.[1]);
};

describe('history bounds', () => {
  const suite = suiteRedis();

  it('folds slow groups and fingerprints past the per-bucket cap into other, counted', async () => {
    const app = `hist-caps-${process.pid}`;
    // Real-length buckets (the 7 d period's are 168 min): every entry of this test falls in one bucket.
    const bridge = await startHistoryBridge(suite.redis.url, { timeScale: 1, settleMs: 200, maxSlowGroups: 2, maxExceptionGroups: 1 });
    try {
      const tally = new WrittenTally(suite.client, app);
      await tally.heartbeat('web-0');
      for (let i = 0; i < 12; i++) await tally.writeSlow(i); // 3 routes, 4 entries each
      for (let i = 0; i < 6; i++) await tally.writeException(i); // 2 fingerprints, 3 each
      const counts = await waitFor(
        async () => {
          const c = countsOf(await history(bridge.url, `period=7d&app=${app}`), app);
          return c.totalSlow === 12 && c.totalExceptions === 6 ? c : undefined;
        },
        8_000,
        'every entry counted, by name or as other',
      );
      assert.equal(counts.view?.slow.length, 2);
      assert.equal(counts.view?.slow_other.count, 4);
      assert.equal(counts.view?.slow_groups, 2);
      assert.equal(counts.view?.exceptions.length, 1);
      assert.equal(counts.view?.exceptions_other.count, 3);
      // Each period folds on its own: 1 h, 6 h, 24 h and 7 d each counted 4 slow entries and 3 exceptions as other.
      await waitFor(async () => (await metric(bridge.url, 'slow_folded')) === 16 || undefined, 3_000, 'slow_folded 16');
      assert.equal(await metric(bridge.url, 'exceptions_folded'), 12);
      assert.equal(await metric(bridge.url, 'slow_counted'), 12);
    } finally {
      await bridge.stop();
    }
  });

  it('counts a gap when the stream rotated past the cursor between two reads', async () => {
    const app = `hist-gap-${process.pid}`;
    const tally = new WrittenTally(suite.client, app);
    await tally.heartbeat('web-0');
    for (let i = 0; i < 3; i++) await tally.writeSlow(i);
    let bridge = await startHistoryBridge(suite.redis.url);
    try {
      await waitFor(
        async () => countsOf(await history(bridge.url, `period=7d&app=${app}`), app).totalSlow === 3 || undefined,
        5_000,
        '3 counted',
      );
      await bridge.stop();
      // While no bridge reads, 1,500 entries go through a stream capped at exactly 1,000: 500 are trimmed unread.
      const pipeline = suite.client.pipeline();
      for (let i = 0; i < 1_500; i++)
        pipeline.xadd(slowKey(app), 'MAXLEN', '=', 1_000, '*', ...slowStreamFields(slowEntry({ name: 'GET /flood' })));
      await pipeline.exec();
      await tally.heartbeat('web-0');
      bridge = await startHistoryBridge(suite.redis.url);
      await waitFor(async () => (await metric(bridge.url, 'slow_gaps')) === 1 || undefined, 5_000, 'one gap counted');
      await waitFor(
        async () => countsOf(await history(bridge.url, `period=7d&app=${app}`), app).totalSlow === 1_003 || undefined,
        5_000,
        'what was left counted: 3 + 1,000',
      );
    } finally {
      await bridge.stop();
    }
  });

  it('gives servers past the cap no series, counted and logged once', async () => {
    const app = `hist-servers-${process.pid}`;
    // The cap is over every app's servers: only this app's count here.
    await suite.client.flushall();
    const bridge = await startHistoryBridge(suite.redis.url, { maxServers: 2 });
    try {
      const tally = new WrittenTally(suite.client, app);
      for (let round = 0; round < 12; round++) {
        for (const id of ['web-a', 'web-b', 'web-c']) await tally.heartbeat(id);
        await sleep(250);
      }
      const answer = await history(bridge.url, `period=1h&app=${app}`);
      assert.equal(countsOf(answer, app).view?.servers.length, 2);
      assert.ok((await metric(bridge.url, 'servers_left_out')) >= 1);
      assert.equal(bridge.logs.filter((l) => /cap of servers with a series/.test(String(l.msg))).length, 1);
    } finally {
      await bridge.stop();
    }
  });

  it('counts with WATCH and MULTI/EXEC where Redis refuses scripts, and says so once', async () => {
    const app = `hist-noscripts-${process.pid}`;
    await addUserWithoutScripts(suite.client);
    // Caps of one group each: the transactions fold past them as the script does.
    const bridge = await startHistoryBridge(asUserWithoutScripts(suite.redis.url), { maxSlowGroups: 1, maxExceptionGroups: 1 });
    try {
      const tally = new WrittenTally(suite.client, app);
      for (let round = 0; round < 10; round++) {
        await tally.heartbeat('web-0');
        await tally.writeSlow(round);
        await tally.writeException(round);
        await sleep(150);
      }
      const counts = await waitFor(
        async () => {
          const c = countsOf(await history(bridge.url, `period=1h&app=${app}`), app);
          return c.totalSlow === tally.totalSlow && c.totalExceptions === tally.totalExceptions ? c : undefined;
        },
        8_000,
        `${tally.totalSlow} slow entries and ${tally.totalExceptions} exceptions counted without scripts`,
      );
      // One group named per bucket, the rest in other: every entry counted once either way.
      assert.ok(counts.view?.slow_other.count, 'slow entries past the cap of groups count as other');
      assert.ok(counts.view?.exceptions_other.count, 'exceptions past the cap of groups count as other');
      assert.equal(await metric(bridge.url, 'script_refused'), 1);
      assert.equal(await metric(bridge.url, 'transactions_refused'), 0);
      assert.equal(bridge.logs.filter((l) => /history counts slow entries and exceptions with WATCH/.test(String(l.msg))).length, 1);
    } finally {
      await bridge.stop();
    }
  });

  it('turns counting off where Redis refuses scripts and transactions, says so once, and still writes server series', async () => {
    const app = `hist-notx-${process.pid}`;
    await addUserWithoutTransactions(suite.client);
    const bridge = await startHistoryBridge(asUserWithoutTransactions(suite.redis.url));
    try {
      const tally = new WrittenTally(suite.client, app);
      for (let round = 0; round < 10; round++) {
        await tally.heartbeat('web-0');
        await tally.writeSlow(round);
        await sleep(250);
      }
      const view = await waitFor(
        async () => (countsOf(await history(bridge.url, `period=1h&app=${app}`), app).view?.servers[0]?.series.length ? true : undefined),
        5_000,
        'a server series without scripts or transactions',
      );
      assert.ok(view);
      const { totalSlow } = countsOf(await history(bridge.url, `period=1h&app=${app}`), app);
      assert.equal(totalSlow, 0, 'nothing counted without a compare-and-set');
      assert.equal(await metric(bridge.url, 'script_refused'), 1);
      assert.equal(await metric(bridge.url, 'transactions_refused'), 1);
      assert.equal(bridge.logs.filter((l) => /history does not count/.test(String(l.msg))).length, 1);
    } finally {
      await bridge.stop();
    }
  });

  it('counts again once Redis grants transactions: what was written while it was off, each entry once', async () => {
    const app = `hist-granted-${process.pid}`;
    await addUserWithoutTransactions(suite.client);
    const url = asUserWithoutTransactions(suite.redis.url);
    const bridge = await startHistoryBridge(url);
    try {
      const tally = new WrittenTally(suite.client, app);
      await tally.heartbeat('web-0');
      for (let round = 0; round < 5; round++) await tally.writeSlow(round);
      await waitFor(async () => (await metric(bridge.url, 'transactions_refused')) === 1 || undefined, 5_000, 'counting off');
      for (let round = 5; round < 10; round++) await tally.writeSlow(round);
      await changeUserOf(suite.client, url, '+@transaction');
      // Off while the refusal stands (5 minutes: 5 s at this time scale), then asked again, from the cursors.
      const totalSlow = async () => countsOf(await history(bridge.url, `period=1h&app=${app}`), app).totalSlow;
      await waitFor(async () => (await totalSlow()) === 10 || undefined, 15_000, 'all 10 entries counted');
      await sleep(1_000);
      assert.equal(await totalSlow(), 10, 'each entry once');
      assert.equal(await metric(bridge.url, 'transactions_refused'), 1);
      assert.equal(bridge.logs.filter((l) => /history does not count/.test(String(l.msg))).length, 1);
    } finally {
      await changeUserOf(suite.client, url, '-@transaction');
      await bridge.stop();
    }
  });

  for (const scripts of [true, false])
    it(`turns counting off where Redis refuses setting a time to live, ${scripts ? 'by script' : 'by transaction'}: nothing written half, said once`, async () => {
      const app = `hist-noexpiry-${scripts ? 'script' : 'tx'}-${process.pid}`;
      await addUsersWithoutExpiry(suite.client);
      const bridge = await startHistoryBridge(asUserWithoutExpiry(suite.redis.url, { scripts }));
      try {
        const tally = new WrittenTally(suite.client, app);
        await tally.heartbeat('web-0');
        for (let round = 0; round < 5; round++) {
          await tally.writeSlow(round);
          await tally.writeException(round);
        }
        await waitFor(async () => (await metric(bridge.url, 'commands_refused')) === 1 || undefined, 5_000, 'commands_refused 1');
        // Passes go on being asked for (every poll): none may write a bucket it could not also give a time to live,
        // which a pass read again from the unmoved cursor would add to a second time.
        await sleep(1_500);
        // Nor may any key be left without a time to live (server and queue series too): it would never expire.
        const keys = await suite.client.keys(`pulse:history:{${app}}:*`);
        const unexpiring = [];
        for (const key of keys) if ((await suite.client.pttl(key)) === -1) unexpiring.push(key);
        assert.deepEqual(unexpiring, [], 'every history key expires');
        assert.equal(countsOf(await history(bridge.url, `period=1h&app=${app}`), app).totalSlow, 0);
        assert.equal(await metric(bridge.url, 'commands_refused'), 1);
        assert.equal(await metric(bridge.url, 'script_refused'), scripts ? 0 : 1);
        assert.equal(await metric(bridge.url, 'transactions_refused'), 0);
        assert.equal(bridge.logs.filter((l) => /refuses a command the counting pass/.test(String(l.msg))).length, 1);
      } finally {
        await bridge.stop();
      }
    });

  it('answers 400 for bad parameters, 401 without the token, 404 with history off', async () => {
    const token = 'history-test-token-123';
    const bridge = await startHistoryBridge(suite.redis.url, {}, { token, history: '6h' });
    const off = await startHistoryBridge(suite.redis.url, {}, { history: 'off' });
    try {
      const ask = (url: string, query: string, auth = true) =>
        fetch(`${url}/api/pulse/history?${query}`, { headers: auth ? { authorization: `Bearer ${token}` } : {} });
      assert.equal((await ask(bridge.url, 'period=1h', false)).status, 401);
      assert.equal((await ask(bridge.url, 'period=1h')).status, 200);
      assert.equal((await ask(bridge.url, 'period=6h&app=a,b&sort=max')).status, 200);
      for (const query of ['', 'period=2h', 'period=1h&sort=avg', 'period=1h&app=bad!name', 'period=1h&period=6h', 'period=24h']) {
        const res = await ask(bridge.url, query);
        assert.equal(res.status, 400, query);
        const body = (await res.json()) as { error: string; parameter: string };
        assert.ok(body.error.length > 0 && body.parameter, query);
      }
      assert.match(((await (await ask(bridge.url, 'period=7d')).json()) as { error: string }).error, /PULSE_HISTORY=6h/);
      const res = await fetch(`${off.url}/api/pulse/history?period=1h`);
      assert.equal(res.status, 404);
      assert.match(((await res.json()) as { error: string }).error, /history is off/);
    } finally {
      await bridge.stop();
      await off.stop();
    }
  });
});
