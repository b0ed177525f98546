import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseSlowStreamFields, type SlowEntry, slowStreamFields } from '../src/index.js';
import * as gpp10 from './fixtures/gpp-1.0/storage.js';

// The README's rule for readers and newer writers, checked against the reader already deployed: the slow-entry
// reader of @gravito/pulse-protocol 0.1.0 (GPP 1.0), copied as published into fixtures/gpp-1.0.

interface VectorCase {
  why: string;
  valid: boolean;
  value?: SlowEntry;
  fields?: string[];
}

const cases: VectorCase[] = JSON.parse(readFileSync(new URL('../vectors/slow-entry.json', import.meta.url), 'utf8')).cases;
/** Every entry a GPP 1.1 writer may write (the cases of stored fields repeat some of them). */
const written = cases.filter((c): c is VectorCase & { value: SlowEntry } => c.valid && c.value !== undefined && c.fields === undefined);
const kindsOf10 = new Set(['request', 'job']);

describe("a GPP 1.0 reader (protocol 0.1.0) fed a GPP 1.1 writer's slow entries", () => {
  it('the vectors cover every kind, with and without a host', () => {
    assert.deepEqual(new Set(written.map((c) => c.value.kind)), new Set(['request', 'job', 'query', 'outgoing', 'other']));
    assert.ok(written.some((c) => kindsOf10.has(c.value.kind) && c.value.host !== undefined));
  });

  for (const { why, value } of written) {
    if (kindsOf10.has(value.kind)) {
      it(`reads a request or job whole, without its host: ${why}`, () => {
        const { host: _ignored, ...withoutHost } = value;
        assert.deepEqual(gpp10.parseSlowStreamFields(slowStreamFields(value)), { ok: true, value: withoutHost });
      });
    } else {
      it(`rejects an entry of a kind added since, one rejection for the entry: ${why}`, () => {
        const result = gpp10.parseSlowStreamFields(slowStreamFields(value));
        assert.equal(result.ok, false);
        assert.match(result.ok ? '' : result.error, /^invalid slow entry at \/(kind|location): /);
      });
    }
  }

  it('would reject a request whole if its host were inside `entry`: why the host has a stream field of its own', () => {
    const request = written.find((c) => c.value.kind === 'request' && c.value.host !== undefined)?.value as SlowEntry;
    const inline = ['entry', JSON.stringify(request)];
    assert.match((gpp10.parseSlowStreamFields(inline) as { error: string }).error, /^invalid slow entry at \/host: /);
  });
});

describe("a GPP 1.1 reader fed a GPP 1.0 writer's slow entries", () => {
  it('reads each unchanged', () => {
    const written10 = written.filter((c) => kindsOf10.has(c.value.kind) && c.value.host === undefined);
    assert.ok(written10.length >= 2);
    for (const { value } of written10) {
      const stored = gpp10.slowStreamFields(value as Parameters<typeof gpp10.slowStreamFields>[0]);
      assert.deepEqual(parseSlowStreamFields(stored), { ok: true, value });
    }
  });
});
