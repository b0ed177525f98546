// The registry updated by the identities that changed gives what an update that looks at every server gives:
// the same servers, in the same order, the same gone, remembered and forgotten ones, step after step of random
// polls (servers appearing, rewritten, gone, stopped, back again; time passing the forget-after; more gone
// servers than are remembered). The seed is printed on failure; REGISTRY_SEED=<n> replays it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '@gravito/pulse-testkit';
import { createRecord, heartbeatIdentity, type ServerRecord, ServerRegistry } from '../src/monitor/server-registry.js';
import { heartbeat } from './helpers.js';

const SEED = Number(process.env.REGISTRY_SEED ?? Math.floor(Math.random() * 2 ** 31));
const OPTIONS = { lostAfterMs: 300, forgetAfterMs: 1_000, maxRemembered: 6 };

/** One registry and the records it was given: a poll's record for an unchanged server is the same object. */
class Side {
  readonly registry = new ServerRegistry(OPTIONS);
  private readonly records = new Map<string, ServerRecord>();
  /** The poll's records by identity, built from what the servers say (`version` bumps on a rewrite). */
  found(servers: ReadonlyMap<string, { version: number; seenAt: number; stopped: boolean }>): Map<string, ServerRecord> {
    const found = new Map<string, ServerRecord>();
    for (const [key, server] of servers) {
      const raw = `${key}#${server.version}`;
      let record = this.records.get(key);
      if (record?.raw !== raw) {
        const [app, id] = heartbeatIdentity(key).split(':') as [string, string];
        const hb = heartbeat(app, id, (h) => (h.state = server.stopped ? 'stopped' : 'running'));
        record = createRecord(key, app, id, hb, server.seenAt, JSON.stringify(hb), raw);
        this.records.set(key, record);
      }
      record.gone = false;
      found.set(record.identity, record);
    }
    return found;
  }
  /** Every server known, in order: identity, what it said, and whether it is gone. */
  view(): string[] {
    return [...this.registry.byApp().values()].flat().map((r) => `${r.identity}=${r.raw}${r.gone ? ' (gone)' : ''}`);
  }
}

describe('server registry', () => {
  it(`updated by the identities that changed, knows what an update of every server knows (seed ${SEED})`, () => {
    const next = seededRandom(SEED);
    const servers = new Map<string, { version: number; seenAt: number; stopped: boolean }>();
    const everyServer = new Side();
    const byChange = new Side();
    let now = 10_000;
    let forgotten = 0;
    for (let step = 0; step < 2_000; step++) {
      // Listed as the monitor lists them: a server changed twice is there twice.
      const changed: string[] = [];
      for (let n = Math.floor(next() * 4); n > 0; n--) {
        const key = `pulse:server:app-${Math.floor(next() * 3)}:srv-${Math.floor(next() * 12)}`;
        changed.push(heartbeatIdentity(key));
        const roll = next();
        if (roll < 0.3) servers.delete(key);
        else servers.set(key, { version: step, seenAt: now - Math.floor(next() * 200), stopped: roll > 0.93 });
      }
      now += Math.floor(next() * 150);
      const a = everyServer.registry.update(everyServer.found(servers), now);
      const b = byChange.registry.update(byChange.found(servers), now, changed);
      forgotten += a.forgotten;
      assert.equal(b.forgotten, a.forgotten, `step ${step}: forgotten (REGISTRY_SEED=${SEED})`);
      assert.deepEqual(byChange.view(), everyServer.view(), `step ${step} (REGISTRY_SEED=${SEED})`);
    }
    // The comparison means something only if servers were forgotten, by time and past the cap, many times.
    assert.ok(forgotten > 100, `only ${forgotten} forgotten`);
  });
});
