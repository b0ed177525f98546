import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  errorsKey,
  fnv1a32Hex,
  HEARTBEAT_SCAN_PATTERN,
  heartbeatKey,
  isSafeKeyPart,
  KEY_PART_MAX_LENGTH,
  PULSE_KEY_PREFIX,
  PulseKeyError,
  parseAppKey,
  parseHeartbeatKey,
  slowKey,
  toSafeKeyPart,
} from '../src/index.js';

const keyVectors: { why: string; input: string; expected: string }[] = JSON.parse(
  readFileSync(new URL('../vectors/keys.json', import.meta.url), 'utf8'),
).cases;

const UNSAFE = ['', 'a:b', 'a*', 'a?', 'a[b]', 'a{b}', 'a b', 'a\tb', 'a\nb', 'a\\b', 'é', 'x'.repeat(KEY_PART_MAX_LENGTH + 1)];

describe('key-safety rule', () => {
  for (const v of keyVectors) {
    it(`toSafeKeyPart: ${v.why}`, () => {
      assert.equal(toSafeKeyPart(v.input), v.expected);
      assert.ok(isSafeKeyPart(v.expected));
    });
  }

  it('is idempotent: a safe part stays as it is', () => {
    for (const v of keyVectors) assert.equal(toSafeKeyPart(v.expected), v.expected);
  });

  it('keeps two long names with a shared prefix apart', () => {
    const a = toSafeKeyPart(`${'s'.repeat(70)}-a`);
    const b = toSafeKeyPart(`${'s'.repeat(70)}-b`);
    assert.notEqual(a, b);
    assert.equal(a.length, KEY_PART_MAX_LENGTH);
  });

  it('uses standard FNV-1a 32', () => {
    assert.equal(fnv1a32Hex(''), '811c9dc5');
    assert.equal(fnv1a32Hex('a'), 'e40c292c');
    assert.equal(fnv1a32Hex('foobar'), 'bf9cf968');
  });

  it('isSafeKeyPart rejects every unsafe name', () => {
    for (const name of UNSAFE) assert.equal(isSafeKeyPart(name), false, JSON.stringify(name));
  });
});

describe('key builders', () => {
  it('build the documented keys', () => {
    assert.equal(PULSE_KEY_PREFIX, 'pulse');
    assert.equal(heartbeatKey('checkout', 'web-1-4242'), 'pulse:server:checkout:web-1-4242');
    assert.equal(slowKey('checkout'), 'pulse:slow:checkout');
    assert.equal(errorsKey('checkout'), 'pulse:errors:checkout');
    assert.equal(HEARTBEAT_SCAN_PATTERN, 'pulse:server:*');
  });

  it('reject unsafe parts with a PulseKeyError that says how to fix them', () => {
    for (const name of UNSAFE) {
      assert.throws(() => heartbeatKey(name, 'id'), PulseKeyError);
      assert.throws(() => heartbeatKey('app', name), PulseKeyError);
      assert.throws(() => slowKey(name), PulseKeyError);
      assert.throws(() => errorsKey(name), /toSafeKeyPart escapes any name/);
    }
  });

  it('round-trip through the parser for every escaped vector', () => {
    for (const v of keyVectors) {
      const app = toSafeKeyPart(v.input);
      const id = toSafeKeyPart(`${v.input}-1`);
      assert.deepEqual(parseHeartbeatKey(heartbeatKey(app, id)), { app, id });
      assert.equal(parseAppKey(slowKey(app), 'slow'), app);
      assert.equal(parseAppKey(errorsKey(app), 'errors'), app);
    }
  });

  it('parse nothing that is not a well-formed key', () => {
    for (const key of [
      'pulse:server:app',
      'pulse:server:a:b:c',
      'other:server:a:b',
      'pulse:slow:a:b',
      'pulse:server:a b:c',
      'pulse:server::id',
      'pulse:server:a:*',
    ]) {
      assert.equal(parseHeartbeatKey(key), undefined, key);
    }
    assert.equal(parseAppKey('pulse:errors:app', 'slow'), undefined);
  });
});
