import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { errorEntryValidator, heartbeatValidator, type PayloadValidator, pulseNodeValidator, slowEntryValidator } from '../src/index.js';

interface VectorCase {
  why: string;
  valid: boolean;
  value?: unknown;
  raw?: string;
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
      it(`${c.valid ? 'accepts' : 'rejects'}: ${c.why}`, () => {
        // Each case goes through the reader's path: the raw string as stored in Redis.
        const raw = c.raw ?? JSON.stringify(c.value);
        const result = validator.parse(raw);
        if (c.valid) assert.deepEqual(result, { ok: true, value: JSON.parse(raw) });
        else {
          assert.equal(result.ok, false);
          if (!result.ok) assert.match(result.error, /^invalid [a-z ]+(: | at \/)/);
        }
      });
    }
  });
}
