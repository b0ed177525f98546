import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { joinedParts, joinPays } from '../src/outputs/sse/joined-parts.js';

describe("an event's buffers, joined into pieces a socket takes in one write", () => {
  const bytes = (n: number, fill: string) => Buffer.alloc(n, fill);

  it('joins consecutive buffers up to the bound, in order, with the same bytes', async () => {
    const parts = [bytes(3, 'a'), bytes(4, 'b'), bytes(2, 'c'), bytes(5, 'd'), bytes(1, 'e')];
    const joined = await joinedParts(parts, 9);
    assert.deepEqual(
      joined.map((part) => part.toString()),
      ['aaabbbbcc', 'ddddde'],
    );
    assert.equal(Buffer.concat(joined).toString(), Buffer.concat(parts).toString());
  });

  it('keeps a buffer at or over the bound as it is, not copied', async () => {
    const large = bytes(10, 'x');
    const joined = await joinedParts([bytes(2, 'a'), large, bytes(2, 'b')], 8);
    assert.equal(joined.length, 3);
    assert.equal(joined[1], large, 'the same buffer');
    assert.deepEqual(await joinedParts([], 8), []);
  });
});

describe('whether joining an event for its clients pays', () => {
  const parts = (count: number, bytes: number) => Array.from({ length: count }, () => Buffer.alloc(bytes));

  it("hands one client a state of large apps' buffers as they are: copying it costs more than the writes", () => {
    assert.equal(joinPays(parts(200, 38_000), 1), false);
  });

  it('joins for many clients of the same state', () => {
    assert.equal(joinPays(parts(200, 38_000), 1_000), true);
  });

  it('joins even for one client when the buffers are many and small (thousands of apps of one server each)', () => {
    assert.equal(joinPays(parts(20_000, 400), 1), true);
  });
});
