import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HEALTH_WEIGHTS, healthScore } from '../src/index.js';
import { heartbeat } from './helpers.js';

/** A heartbeat with no pressure at all: 10 % CPU, half the memory free, disks half full. */
const calm = (patch: Parameters<typeof heartbeat>[2] = () => {}) =>
  heartbeat('h', 'x', (hb) => {
    hb.system.cpu_usage = 10;
    hb.system.memory_total = 1000;
    hb.system.memory_free = 500;
    hb.system.disks = [{ mount: '/', total: 1000, free: 500 }];
    patch(hb);
  });

describe('health score', () => {
  it('weights add up to 100', () => {
    assert.equal(
      Object.values(HEALTH_WEIGHTS).reduce((a, b) => a + b, 0),
      100,
    );
  });

  it('is 100 for calm servers with no slow entries or errors', () => {
    assert.deepEqual(healthScore({ online: [calm(), calm()], lost: 0, slowPerMinute: 0, errorsPerMinute: 0 }), { score: 100, reasons: [] });
  });

  it('is 0 with no server online', () => {
    assert.equal(healthScore({ online: [], lost: 3, slowPerMinute: 0, errorsPerMinute: 0 }).score, 0);
    assert.deepEqual(healthScore({ online: [], lost: 0, slowPerMinute: 0, errorsPerMinute: 0 }).reasons, ['no servers']);
  });

  it('takes the lost share of 30 points', () => {
    // 1 lost of 4 → 30 × 0.25 = 7.5 → 92.5 → 93 (Math.round)
    const h = healthScore({ online: [calm(), calm(), calm()], lost: 1, slowPerMinute: 0, errorsPerMinute: 0 });
    assert.equal(h.score, 93);
    assert.deepEqual(h.reasons, ['-8: 1 of 4 servers lost']);
  });

  it('scales CPU pressure from 80 % to 100 %, averaged over servers', () => {
    const at = (cpu: number) => calm((hb) => (hb.system.cpu_usage = cpu));
    assert.equal(healthScore({ online: [at(80)], lost: 0, slowPerMinute: 0, errorsPerMinute: 0 }).score, 100);
    assert.equal(healthScore({ online: [at(90)], lost: 0, slowPerMinute: 0, errorsPerMinute: 0 }).score, 93); // 15 × 0.5 = 7.5 → 92.5 → 93
    assert.equal(healthScore({ online: [at(100)], lost: 0, slowPerMinute: 0, errorsPerMinute: 0 }).score, 85);
    assert.equal(healthScore({ online: [at(100), at(10)], lost: 0, slowPerMinute: 0, errorsPerMinute: 0 }).score, 93);
  });

  it('scales memory pressure from 85 % to 100 % used', () => {
    const used = (ratio: number) => calm((hb) => (hb.system.memory_free = Math.round(1000 * (1 - ratio))));
    assert.equal(healthScore({ online: [used(0.85)], lost: 0, slowPerMinute: 0, errorsPerMinute: 0 }).score, 100);
    assert.equal(healthScore({ online: [used(1)], lost: 0, slowPerMinute: 0, errorsPerMinute: 0 }).score, 85);
  });

  it("scales disk pressure on each server's fullest disk from 90 % to 100 %", () => {
    const disks = calm((hb) => {
      hb.system.disks = [
        { mount: '/', total: 1000, free: 900 },
        { mount: '/data', total: 1000, free: 50 }, // 95 % → pressure 0.5
      ];
    });
    assert.equal(healthScore({ online: [disks], lost: 0, slowPerMinute: 0, errorsPerMinute: 0 }).score, 95);
    const noDisks = calm((hb) => {
      delete hb.system.disks;
    });
    assert.equal(healthScore({ online: [noDisks], lost: 0, slowPerMinute: 0, errorsPerMinute: 0 }).score, 100);
  });

  it('scales slow entries (10 per server per minute) and exceptions (5 per server per minute)', () => {
    const two = [calm(), calm()];
    assert.equal(healthScore({ online: two, lost: 0, slowPerMinute: 10, errorsPerMinute: 0 }).score, 95); // 10 × 10/20
    assert.equal(healthScore({ online: two, lost: 0, slowPerMinute: 1000, errorsPerMinute: 0 }).score, 90); // capped at 10
    assert.equal(healthScore({ online: two, lost: 0, slowPerMinute: 0, errorsPerMinute: 5 }).score, 90); // 20 × 5/10
    assert.equal(healthScore({ online: two, lost: 0, slowPerMinute: 0, errorsPerMinute: 1e9 }).score, 80);
  });

  it('takes every share off when everything is at its worst', () => {
    const worst = calm((hb) => {
      hb.system.cpu_usage = 100;
      hb.system.memory_free = 0;
      hb.system.disks = [{ mount: '/', total: 1000, free: 0 }];
    });
    // lost share 1/2 → 15; every other share in full → 100 − 15 − 70 = 15
    const h = healthScore({ online: [worst], lost: 1, slowPerMinute: 1e6, errorsPerMinute: 1e6 });
    assert.equal(h.score, 15);
    assert.equal(h.reasons.length, 6);
  });
});
