import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  type ErrorEntry,
  errorEntryWrite,
  errorMember,
  errorSetTrims,
  parseErrorMember,
  parseSlowStreamFields,
  type SlowEntry,
  slowEntryIdentity,
  slowEntryWrite,
  slowStreamFields,
} from '../src/index.js';

const firstValid = <T>(file: string): T =>
  JSON.parse(readFileSync(new URL(`../vectors/${file}`, import.meta.url), 'utf8')).cases.find((c: { valid: boolean }) => c.valid).value;

describe('storage encoding', () => {
  it('stores a slow entry as one `entry` stream field and reads it back', () => {
    const entry = firstValid<SlowEntry>('slow-entry.json');
    const fields = slowStreamFields(entry);
    assert.equal(fields[0], 'entry');
    assert.deepEqual(parseSlowStreamFields(['other', 'x', ...fields]), { ok: true, value: entry });
    assert.equal(parseSlowStreamFields(['other', 'x']).ok, false);
  });

  it("stores a slow entry's host in a stream field of its own, and joins it back", () => {
    const entry = JSON.parse(readFileSync(new URL('../vectors/slow-entry.json', import.meta.url), 'utf8')).cases.find(
      (c: { value?: SlowEntry }) => c.value?.kind === 'query' && c.value.host !== undefined,
    ).value as SlowEntry;
    const fields = slowStreamFields(entry);
    assert.deepEqual([fields[0], fields[2]], ['entry', 'host']);
    assert.equal(JSON.parse(fields[1] as string).host, undefined);
    assert.deepEqual(JSON.parse(fields[3] as string), entry.host);
    assert.deepEqual(
      parseSlowStreamFields(['note', 'x', ...fields, 'host', '{"cpu_usage":1}']),
      { ok: true, value: entry },
      'first host wins',
    );
    assert.match((parseSlowStreamFields(['host', fields[3] as string]) as { error: string }).error, /no "entry" field/);
  });

  it('stores an exception as a member scored by its timestamp and reads it back', () => {
    const entry = firstValid<ErrorEntry>('error-entry.json');
    const { score, member } = errorMember(entry);
    assert.equal(score, entry.timestamp);
    assert.deepEqual(parseErrorMember(member), { ok: true, value: entry });
  });

  it("tells a writer's repeat of a slow entry from another entry", () => {
    const entry = { ...firstValid<SlowEntry>('slow-entry.json'), span_id: '00f067aa0ba902b7' };
    // A retried write: the same JSON read back from another stream entry.
    const repeat = (parseSlowStreamFields(slowStreamFields(entry)) as { value: SlowEntry }).value;
    assert.equal(slowEntryIdentity(repeat), slowEntryIdentity(entry));
    assert.notEqual(slowEntryIdentity({ ...entry, span_id: '00f067aa0ba902b8' }), slowEntryIdentity(entry), 'another span');
    assert.notEqual(slowEntryIdentity({ ...entry, server_id: 'web-2' }), slowEntryIdentity(entry), 'another server');
    const { span_id: _, ...noSpan } = entry;
    assert.equal(slowEntryIdentity({ ...noSpan }), slowEntryIdentity(noSpan), 'without a span id: the same JSON');
    assert.notEqual(slowEntryIdentity({ ...noSpan, duration_ms: noSpan.duration_ms + 1 }), slowEntryIdentity(noSpan));
  });

  it("gives a writer the README's commands: XADD with MAXLEN ~ 1000, ZADD, and the set's three trims", () => {
    const slow = firstValid<SlowEntry>('slow-entry.json');
    assert.deepEqual(slowEntryWrite('checkout', slow), [
      'xadd',
      'pulse:slow:checkout',
      'MAXLEN',
      '~',
      1000,
      '*',
      ...slowStreamFields(slow),
    ]);
    const error = firstValid<ErrorEntry>('error-entry.json');
    assert.deepEqual(errorEntryWrite('checkout', error), ['zadd', 'pulse:errors:checkout', error.timestamp, JSON.stringify(error)]);
    assert.deepEqual(errorSetTrims('checkout', 1_764_400_000_000), [
      ['zremrangebyscore', 'pulse:errors:checkout', '-inf', '(1764396400000'],
      ['zremrangebyrank', 'pulse:errors:checkout', 0, -1001],
      ['expire', 'pulse:errors:checkout', 3600],
    ]);
    assert.throws(() => slowEntryWrite('my app', slow), /key/i, 'an unsafe app name is refused, as by the key builders');
  });
});
