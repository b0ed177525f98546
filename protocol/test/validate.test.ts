import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { MAX_HEARTBEAT_BYTES, type PulseHeartbeat, parseHeartbeat, validateHeartbeat } from '../src/index.js';

const vectors = JSON.parse(readFileSync(new URL('../vectors/heartbeat.json', import.meta.url), 'utf8'));
const valid: PulseHeartbeat = vectors.cases[1].value;

function rejection(value: unknown): string {
  const result = validateHeartbeat(value);
  assert.equal(result.ok, false, 'expected a rejection');
  return result.ok ? '' : result.error;
}

describe('heartbeat validator', () => {
  it('accepts a full heartbeat and returns the same object', () => {
    const result = validateHeartbeat(valid);
    assert.ok(result.ok);
    assert.equal(result.value, valid);
  });

  it('names the field and the reason for a wrong type', () => {
    assert.equal(
      rejection({ ...valid, system: { ...valid.system, memory_total: '8GB' } }),
      'invalid heartbeat at /system/memory_total: Expected integer',
    );
  });

  it('names a missing field', () => {
    const { process: _dropped, ...noProcess } = valid;
    assert.match(rejection(noProcess), /^invalid heartbeat at \/process: Expected required property/);
  });

  it('rejects NaN and Infinity, which JSON cannot carry but a buggy SDK object can', () => {
    assert.match(rejection({ ...valid, system: { ...valid.system, cpu_usage: Number.NaN } }), /\/system\/cpu_usage/);
    assert.match(rejection({ ...valid, process: { ...valid.process, uptime: Number.POSITIVE_INFINITY } }), /\/process\/uptime/);
  });

  it('rejects negative sizes', () => {
    assert.match(
      rejection({ ...valid, process: { ...valid.process, memory_rss: -1 } }),
      /\/process\/memory_rss: Expected integer to be greater or equal to 0/,
    );
    assert.match(
      rejection({ ...valid, system: { ...valid.system, disks: [{ mount: '/', total: -5, free: 0 }] } }),
      /\/system\/disks\/0\/total/,
    );
  });

  it('rejects __proto__ keys without polluting any prototype', () => {
    const raw = JSON.stringify(valid).replace('"meta":{', '"meta":{"__proto__":{"polluted":"yes"},');
    const result = parseHeartbeat(raw);
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.error, /\/meta/);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('rejects an oversized payload before parsing it', () => {
    const huge = JSON.stringify({ ...valid, system: { ...valid.system, hostname: 'h'.repeat(MAX_HEARTBEAT_BYTES) } });
    const result = parseHeartbeat(huge);
    assert.deepEqual(result, { ok: false, error: `invalid heartbeat: ${huge.length} bytes is over the ${MAX_HEARTBEAT_BYTES}-byte limit` });
  });

  it('rejects an over-long string field inside the size limit', () => {
    assert.match(
      rejection({ ...valid, system: { ...valid.system, hostname: 'h'.repeat(300) } }),
      /\/system\/hostname: Expected string length less or equal to 255/,
    );
  });

  it('rejects empty and non-JSON values with a readable error', () => {
    assert.deepEqual(parseHeartbeat(null), { ok: false, error: 'invalid heartbeat: empty value' });
    assert.match((parseHeartbeat('{oops') as { error: string }).error, /^invalid heartbeat: not JSON \(/);
  });

  it('parses a Buffer as well as a string', () => {
    assert.ok(parseHeartbeat(Buffer.from(JSON.stringify(valid))).ok);
  });
});
