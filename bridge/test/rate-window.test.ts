// A rate window says until when its rate stays the same without a new event (`steadyUntil`): a poll that read no
// feed skips recomputing every app's rates before then. Checked against the rate itself over random events, added
// out of order as feeds deliver them, past the cap too. The seed is printed on failure; RATE_SEED=<n> replays it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '@gravito/pulse-testkit';
import { RateWindow } from '../src/monitor/rate-window.js';

const SEED = Number(process.env.RATE_SEED ?? Math.floor(Math.random() * 2 ** 31));
const WINDOW_MS = 1_000;

describe('rate window', () => {
  it(`reads the same until steadyUntil, and falls just after it (seed ${SEED})`, () => {
    const random = seededRandom(SEED);
    let falls = 0;
    for (let run = 0; run < 200; run++) {
      const window = new RateWindow(WINDOW_MS, 1 + Math.floor(random() * 20));
      let now = 0;
      for (let step = 0; step < 40; step++) {
        now += Math.floor(random() * 300);
        // Events land late and out of order, never before the window (as the tailers add them).
        for (let n = Math.floor(random() * 3); n > 0; n--) window.add(Math.max(now - Math.floor(random() * 1_500), now - WINDOW_MS));
        const rate = window.perMinute(now);
        const steadyUntil = window.steadyUntil();
        assert.ok(steadyUntil >= now, `seed ${SEED}: steady until ${steadyUntil}, before now ${now}`);
        if (steadyUntil === Number.POSITIVE_INFINITY) {
          assert.equal(rate, 0, `seed ${SEED}: an empty window reads 0`);
          continue;
        }
        // Read on a copy of its state (reading drops what left the window), as a later poll would: the same rate up
        // to steadyUntil, a lower one just after.
        const copy = Object.assign(Object.create(RateWindow.prototype), structuredClone({ ...window })) as RateWindow;
        assert.equal(copy.perMinute(steadyUntil), rate, `seed ${SEED}: the rate changed before ${steadyUntil}`);
        assert.ok(copy.perMinute(steadyUntil + 1) < rate, `seed ${SEED}: the rate did not fall after ${steadyUntil}`);
        falls++;
      }
    }
    assert.ok(falls > 100, `seed ${SEED}: only ${falls} falls checked`);
  });
});
