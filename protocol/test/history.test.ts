import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  decodeHistoryBucket,
  decodeServerFigures,
  HISTORY_PERIODS,
  HistoryExceptionValue,
  HistoryHealthValue,
  type HistoryPeriod,
  HistoryServerValue,
  HistorySlowValue,
  historyBucketKey,
  historyBucketStart,
  historyCursorKey,
  historyPeriodSpan,
  historyQueuesKey,
  historyServersKey,
  PulseKeyError,
} from '../src/index.js';

const vectors = JSON.parse(readFileSync(new URL('../vectors/history.json', import.meta.url), 'utf8'));

describe('history vectors', () => {
  it('builds the same keys', () => {
    for (const v of vectors.keys) {
      assert.equal(historyCursorKey(v.app), v.cursor, v.why);
      assert.equal(historyBucketKey(v.app, v.period, v.start), v.bucket, v.why);
      assert.equal(historyServersKey(v.app, v.period, v.start), v.servers, v.why);
      assert.equal(historyQueuesKey(v.app, v.period, v.start), v.queues, v.why);
    }
  });

  it('cuts each period into 60 buckets aligned on the epoch', () => {
    for (const v of vectors.spans) {
      const { bucketMs, periodMs } = historyPeriodSpan(v.period as HistoryPeriod);
      assert.equal(bucketMs, v.bucket_ms);
      assert.equal(periodMs, bucketMs * 60);
      assert.equal(historyBucketStart(v.at, bucketMs), v.start);
    }
    assert.deepEqual(HISTORY_PERIODS, ['1h', '6h', '24h', '7d']);
    assert.equal(historyPeriodSpan('1h', 60).bucketMs, 1_000, 'a test scale of 60: one-second buckets');
  });

  it('decodes bucket hashes and server values as the vectors say', () => {
    for (const v of vectors.buckets) assert.deepEqual(decodeHistoryBucket(v.hash), v.decoded, v.why);
    for (const v of vectors.servers) assert.deepEqual(decodeServerFigures(v.value), v.decoded, v.why);
  });

  it('stores values that their JSON Schemas accept', () => {
    const slow = TypeCompiler.Compile(HistorySlowValue);
    const exception = TypeCompiler.Compile(HistoryExceptionValue);
    const health = TypeCompiler.Compile(HistoryHealthValue);
    const server = TypeCompiler.Compile(HistoryServerValue);
    const [valid] = vectors.buckets;
    for (const [field, value] of Object.entries(valid.hash as Record<string, string>)) {
      if (field.startsWith('slow:')) assert.ok(slow.Check(JSON.parse(value)), field);
      if (field.startsWith('exc:')) assert.ok(exception.Check(JSON.parse(value)), field);
      if (field === 'health') assert.ok(health.Check(JSON.parse(value)), field);
    }
    for (const v of vectors.servers) assert.ok(server.Check(JSON.parse(v.value)), v.why);
  });

  it('refuses an unknown period or a bad start in a key', () => {
    assert.throws(() => historyBucketKey('shop', '2h', 0), PulseKeyError);
    assert.throws(() => historyBucketKey('shop', '1h', -1), PulseKeyError);
    assert.throws(() => historyCursorKey('a:b'), PulseKeyError);
  });
});
