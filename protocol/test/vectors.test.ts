import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import {
  errorEntryValidator,
  heartbeatValidator,
  type PayloadValidator,
  parseSlowStreamFields,
  pulseNodeValidator,
  type SlowEntry,
  slowEntryValidator,
  slowStreamFields,
} from '../src/index.js';

interface VectorCase {
  why: string;
  /** The writer's contract: an SDK may write it. */
  valid: boolean;
  value?: unknown;
  raw?: string;
  /** Not valid for a writer, but a reader accepts it and reads `meta.runtime` as this value. */
  read_runtime?: string;
  /** Not valid for a writer, but a reader accepts it and returns this value (a newer writer's slow entry). */
  read?: unknown;
  /** A slow entry as stored: the stream entry's flat field list, which a writer of `value` must produce exactly. */
  fields?: string[];
}

function loadVectors(file: string): VectorCase[] {
  return JSON.parse(readFileSync(new URL(`../vectors/${file}`, import.meta.url), 'utf8')).cases;
}

const suites: [string, PayloadValidator<unknown>][] = [
  ['heartbeat.json', heartbeatValidator],
  ['slow-entry.json', slowEntryValidator],
  ['error-entry.json', errorEntryValidator],
  ['pulse-node.json', pulseNodeValidator],
];

for (const [file, validator] of suites) {
  describe(`vectors/${file}`, () => {
    const cases = loadVectors(file);
    it('has valid and invalid cases', () => {
      assert.ok(cases.some((c) => c.valid));
      assert.ok(cases.some((c) => !c.valid));
    });
    for (const c of cases) {
      const verdict = c.valid
        ? 'accepts'
        : c.read_runtime
          ? `reads as runtime "${c.read_runtime}"`
          : c.read !== undefined
            ? "reads as a newer writer's"
            : 'rejects';
      it(`${verdict}: ${c.why}`, () => {
        // The reader's path: the raw string (or stream fields) as stored in Redis.
        const raw = c.raw ?? JSON.stringify(c.value);
        const result = c.fields ? parseSlowStreamFields(c.fields) : validator.parse(raw);
        if (c.valid) assert.deepEqual(result, { ok: true, value: JSON.parse(raw) });
        else if (c.read_runtime !== undefined) {
          const expected = JSON.parse(raw);
          expected.meta.runtime = c.read_runtime;
          assert.deepEqual(result, { ok: true, value: expected });
        } else if (c.read !== undefined) {
          assert.deepEqual(result, { ok: true, value: c.read });
        } else {
          assert.equal(result.ok, false);
          if (!result.ok) assert.match(result.error, /^invalid [a-z ]+(: | at \/)/);
        }
        // The writer's path, strict: only the valid cases pass, and are stored exactly as `fields` says.
        if (c.fields && c.value !== undefined) assert.equal(isDeepStrictEqual(slowStreamFields(c.value as SlowEntry), c.fields), c.valid);
        else if (c.value !== undefined) assert.equal(validator.validate(c.value).ok, c.valid);
      });
    }
  });
}
