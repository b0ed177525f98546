// Applying a counting pass on a real Redis, by the apply script (apply-script.ts) and by the transaction that stands
// in for it where Redis refuses scripts (WATCH and MULTI/EXEC, watched-apply.ts): each folds two passes as the caps
// say (groups named, the rest in other; an exception's latest message and its servers); the same passes leave the
// same buckets either way or mixed; a pass from a stale cursor, or one whose cursor another bridge moves between its
// WATCH and its EXEC, is refused and writes nothing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeHistoryBucket, EXCEPTION_GROUPS_FIELD, historyCursorKey, SLOW_OTHER_FIELD } from '@gravito/pulse-protocol';
import { applyPass, type Cursors } from '../src/monitor/history/apply-script.js';
import { BucketDeltas } from '../src/monitor/history/bucket-deltas.js';
import { applyPassWatched } from '../src/monitor/history/watched-apply.js';
import { connectRedis, type RedisHandle } from '../src/redis/connection.js';
import { TransactionLanes } from '../src/redis/transaction-lanes.js';
import { errorEntry, slowEntry, suiteRedis } from './helpers.js';

const CAPS = { slowGroups: 2, exceptionGroups: 2 };
const ROUTES = ['GET /a', 'GET /b', 'GET /c'];
const FINGERPRINTS = ['f1', 'f2', 'f3'];
/**
 * The current whole minute. Near the real clock, because each bucket expires (PEXPIREAT) one period and one bucket
 * after its start: a fixed date made every bucket expire as it was written, once that date was an hour old. Whole,
 * so that a pass's entries (a few seconds apart) share their buckets.
 */
const T0 = Math.floor(Date.now() / 60_000) * 60_000;

/** Pass `n` of an app: a few slow entries and exceptions over the routes and fingerprints, some past the caps. */
function passDeltas(app: string, n: number): BucketDeltas {
  const deltas = new BucketDeltas(app, ['1h', '24h'], 1, T0 + 60_000);
  for (let i = 0; i < 4; i++) {
    const at = T0 + n * 1_000 + i;
    deltas.addSlow(slowEntry({ kind: 'request', name: ROUTES[(n + i) % 3] as string, duration_ms: 100 + n * 10 + i }), at);
    deltas.addException(
      errorEntry(app, { fingerprint: FINGERPRINTS[(n * 2 + i) % 3] as string, message: `boom ${n}.${i}`, server_id: `web-${(n + i) % 5}` }),
      // Out of order within a pass: the latest occurrence's message wins, not the last added.
      at - (i % 2) * 500,
    );
  }
  return deltas;
}

/** Every bucket of an app, decoded, by key less the app (groups in a fixed order). */
async function bucketsOf(handle: RedisHandle, app: string, keys: readonly string[]) {
  const decoded: Record<string, unknown> = {};
  for (const key of keys) {
    const bucket = decodeHistoryBucket(await handle.client.hgetall(key));
    bucket.slow.sort((a, b) => a.name.localeCompare(b.name));
    bucket.exceptions.sort((a, b) => a.fingerprint.localeCompare(b.fingerprint));
    decoded[key.replace(app, '<app>')] = bucket;
  }
  return decoded;
}

const NO_CURSOR: Cursors = { slow: '', errors: '' };
const cursorAfter = (n: number): Cursors => ({ slow: `${n}-0`, errors: String(n) });

describe('applying a counting pass, by script and by transaction', () => {
  const suite = suiteRedis();

  async function withHandle<T>(fn: (handle: RedisHandle, lanes: TransactionLanes) => Promise<T>): Promise<T> {
    const handle = connectRedis(suite.redis.url, { timeoutMs: 2_000 });
    while (!handle.ready()) await new Promise((resolve) => setTimeout(resolve, 10));
    const lanes = new TransactionLanes(handle, 'pulse-test-history');
    try {
      return await fn(handle, lanes);
    } finally {
      lanes.close();
      await handle.close();
    }
  }

  /** Applies passes 0..count-1 of `app`, each through the script or the transaction as `watched(n)` says. */
  async function applyPasses(handle: RedisHandle, lanes: TransactionLanes, app: string, count: number, watched: (n: number) => boolean) {
    const keys = new Set<string>();
    let folded = { slow: 0, exceptions: 0 };
    for (let n = 0; n < count; n++) {
      const buckets = [...passDeltas(app, n).values()];
      for (const b of buckets) keys.add(b.key);
      const move = { expected: n === 0 ? NO_CURSOR : cursorAfter(n - 1), next: cursorAfter(n), ttlMs: 60_000 };
      const result = watched(n)
        ? await applyPassWatched(lanes, app, buckets, move, CAPS)
        : await applyPass(handle.client, app, buckets, move, CAPS);
      assert.ok(result.applied, `pass ${n} applied`);
      folded = { slow: folded.slow + result.foldedSlow, exceptions: folded.exceptions + result.foldedExceptions };
    }
    return { keys: [...keys], folded };
  }

  it('folds two passes as the caps say, by script and by transaction', async () => {
    await withHandle(async (handle, lanes) => {
      for (const watched of [false, true]) {
        const app = `caps-${watched ? 'transaction' : 'script'}`;
        const at = T0 + 1_000;
        const deltas = (n: number) => new BucketDeltas(app, ['1h'], 1, T0 + 60_000 + n);
        const first = deltas(0);
        first.addSlow(slowEntry({ kind: 'request', name: 'GET /a', duration_ms: 100 }), at);
        first.addSlow(slowEntry({ kind: 'request', name: 'GET /a', duration_ms: 120 }), at);
        first.addSlow(slowEntry({ kind: 'request', name: 'GET /b', duration_ms: 50 }), at);
        first.addException(errorEntry(app, { fingerprint: 'f1', message: 'one', server_id: 'web-1' }), at + 10);
        first.addException(errorEntry(app, { fingerprint: 'f1', message: 'zero', server_id: 'web-2' }), at + 5);
        const second = deltas(1);
        // Both groups named already: a third one counts in other.
        second.addSlow(slowEntry({ kind: 'request', name: 'GET /c', duration_ms: 70 }), at);
        second.addSlow(slowEntry({ kind: 'request', name: 'GET /a', duration_ms: 200 }), at);
        second.addException(errorEntry(app, { fingerprint: 'f2', message: 'two', server_id: 'web-1' }), at + 20);
        second.addException(errorEntry(app, { fingerprint: 'f3', message: 'three', server_id: 'web-1' }), at + 30);
        // Older than f1's latest: counted, its server added, its message kept.
        second.addException(errorEntry(app, { fingerprint: 'f1', message: 'old', server_id: 'web-3' }), at + 8);
        const folded = [];
        for (const [n, pass] of [first, second].entries()) {
          const move = { expected: n === 0 ? NO_CURSOR : cursorAfter(0), next: cursorAfter(n), ttlMs: 60_000 };
          const buckets = [...pass.values()];
          const result = watched
            ? await applyPassWatched(lanes, app, buckets, move, CAPS)
            : await applyPass(handle.client, app, buckets, move, CAPS);
          assert.ok(result.applied);
          folded.push([result.foldedSlow, result.foldedExceptions]);
        }
        assert.deepEqual(folded, [
          [0, 0],
          [1, 1],
        ]);
        const [key] = [...first.values()].map((b) => b.key);
        const bucket = decodeHistoryBucket(await handle.client.hgetall(key as string));
        bucket.slow.sort((a, b) => a.name.localeCompare(b.name));
        bucket.exceptions.sort((a, b) => a.fingerprint.localeCompare(b.fingerprint));
        assert.deepEqual(
          bucket.slow.map(({ name, count, sum_ms, max_ms }) => [name, count, sum_ms, max_ms]),
          [
            ['GET /a', 3, 420, 200],
            ['GET /b', 1, 50, 50],
          ],
        );
        assert.equal(bucket.slowOther, 1);
        assert.deepEqual(
          bucket.exceptions.map(({ fingerprint, count, message, last_seen, servers }) => [
            fingerprint,
            count,
            message,
            last_seen - at,
            servers,
          ]),
          [
            ['f1', 3, 'one', 10, ['web-1', 'web-2', 'web-3']],
            ['f2', 1, 'two', 20, ['web-1']],
          ],
        );
        assert.equal(bucket.exceptionsOther, 1);
      }
    });
  });

  it('replaces a counter someone left unreadable, rather than failing midway through the writes', async () => {
    await withHandle(async (handle, lanes) => {
      for (const watched of [false, true]) {
        const app = `unreadable-${watched ? 'transaction' : 'script'}`;
        await applyPasses(handle, lanes, app, 1, () => watched);
        const buckets = [...passDeltas(app, 1).values()];
        for (const { key } of buckets) await handle.client.hset(key, SLOW_OTHER_FIELD, 'not a number', EXCEPTION_GROUPS_FIELD, '1.5x');
        const move = { expected: cursorAfter(0), next: cursorAfter(1), ttlMs: 60_000 };
        const apply = () =>
          watched ? applyPassWatched(lanes, app, buckets, move, CAPS) : applyPass(handle.client, app, buckets, move, CAPS);
        assert.ok((await apply()).applied, 'the pass is written whole');
        for (const { key } of buckets)
          for (const field of [SLOW_OTHER_FIELD, EXCEPTION_GROUPS_FIELD])
            assert.match((await handle.client.hget(key, field)) ?? '', /^\d+$/, `${field} is a count again`);
        assert.equal((await apply()).applied, false, 'and only once');
      }
    });
  });

  it('leaves the same buckets by script, by transaction or mixed', async () => {
    await withHandle(async (handle, lanes) => {
      const byScript = await applyPasses(handle, lanes, 'eq-script', 6, () => false);
      const watched = await applyPasses(handle, lanes, 'eq-watched', 6, () => true);
      const mixed = await applyPasses(handle, lanes, 'eq-mixed', 6, (n) => n % 2 === 1);
      const expected = await bucketsOf(handle, 'eq-script', byScript.keys);
      // The caps were reached: some entries were folded into other.
      assert.ok(byScript.folded.slow > 0 && byScript.folded.exceptions > 0, JSON.stringify(byScript.folded));
      assert.deepEqual(await bucketsOf(handle, 'eq-watched', watched.keys), expected);
      assert.deepEqual(watched.folded, byScript.folded);
      assert.deepEqual(await bucketsOf(handle, 'eq-mixed', mixed.keys), expected);
      assert.deepEqual(await handle.client.hgetall(historyCursorKey('eq-watched')), { ...cursorAfter(5) });
      assert.ok((await handle.client.pttl(historyCursorKey('eq-watched'))) > 0, 'the cursor has its time to live');
    });
  });

  /**
   * Applies pass 0 of `app`, then pass 1 from the cursor `expected`, after `meanwhile`: the pass must be refused and
   * leave the buckets as they were. Resolves with the cursor as it then is.
   */
  async function refusedPass(
    app: string,
    expected: Cursors,
    meanwhile: (handle: RedisHandle, lanes: TransactionLanes) => Promise<void> = async () => {},
  ): Promise<Record<string, string>> {
    return withHandle(async (handle, lanes) => {
      await applyPasses(handle, lanes, app, 1, () => true);
      const buckets = [...passDeltas(app, 1).values()];
      const keys = buckets.map((b) => b.key);
      const before = await bucketsOf(handle, app, keys);
      await meanwhile(handle, lanes);
      const result = await applyPassWatched(lanes, app, buckets, { expected, next: cursorAfter(1), ttlMs: 60_000 }, CAPS);
      assert.equal(result.applied, false, 'the pass is refused');
      assert.deepEqual(await bucketsOf(handle, app, keys), before, 'nothing is written');
      return handle.client.hgetall(historyCursorKey(app));
    });
  }

  it('refuses a pass from a stale cursor, writing nothing', async () => {
    assert.deepEqual(await refusedPass('stale-cursor', NO_CURSOR), { ...cursorAfter(0) });
  });

  it('refuses a pass whose cursor another bridge moves between its WATCH and its EXEC, writing nothing', async () => {
    const app = 'raced';
    // The other bridge's pass lands once this one has read the cursor and is about to open its MULTI.
    const cursor = await refusedPass(app, cursorAfter(0), (handle, lanes) =>
      lanes.run(historyCursorKey(app), async ({ connection }) => {
        const multi = connection.multi.bind(connection);
        connection.multi = ((options: { pipeline: false }) => {
          connection.multi = multi;
          return handle.client.hset(historyCursorKey(app), 'slow', 'other-bridge').then(() => multi(options));
        }) as typeof connection.multi;
      }),
    );
    assert.equal(cursor.slow, 'other-bridge');
  });
});
