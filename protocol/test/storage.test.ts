import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { type ErrorEntry, errorMember, parseErrorMember, parseSlowStreamFields, type SlowEntry, slowStreamFields } from '../src/index.js';

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

  it('stores an exception as a member scored by its timestamp and reads it back', () => {
    const entry = firstValid<ErrorEntry>('error-entry.json');
    const { score, member } = errorMember(entry);
    assert.equal(score, entry.timestamp);
    assert.deepEqual(parseErrorMember(member), { ok: true, value: entry });
  });
});
