// How the bridge tells Redis's answers apart, on errors a real redis-server gives: a decline (an error reply that
// comes back at every try) from a state that passes (a script running), a connection that failed, a timeout.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addUserWithoutClient, asUserWithoutClient } from '@gravito/pulse-testkit';
import { Redis } from 'ioredis';
import { isDecline, isTimeout } from '../src/redis/command-refusal.js';
import { suiteRedis } from './helpers.js';

/** What `run` rejects with (it must reject). */
async function rejection(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  assert.fail('it did not fail');
}

describe('Redis errors, told apart', () => {
  // A server of its own: the test runs a script that holds it.
  const suite = suiteRedis({ private: true });

  it('an ACL refusal, an unknown command and a wrong argument are declines', async () => {
    const { redis: server, client: admin } = suite;
    await addUserWithoutClient(admin);
    const declined = new Redis(asUserWithoutClient(server.url));
    try {
      const noperm = await rejection(() => declined.call('CLIENT', 'ID'));
      assert.match(String(noperm), /NOPERM/);
      assert.equal(isDecline(noperm), true);
      assert.equal(isDecline(await rejection(() => admin.call('NO-SUCH-COMMAND'))), true);
      assert.equal(isDecline(await rejection(() => admin.call('CLIENT', 'TRACKING', 'maybe'))), true);
    } finally {
      declined.disconnect();
    }
  });

  it('a busy Redis (a script running), a closed connection and a timeout are not', async () => {
    const { redis: server, client: admin } = suite;
    await admin.config('SET', 'busy-reply-threshold', '50');
    const holder = server.client();
    const held = holder.eval('while true do end', 0).catch(() => undefined);
    const quick = new Redis(server.url, { commandTimeout: 100, maxRetriesPerRequest: 0 });
    try {
      // Past the threshold, Redis answers BUSY to every other command until the script is killed. On a loaded
      // machine the script may not have started, or not passed the threshold, at the first PINGs: they pass.
      let busy: unknown;
      for (let i = 0; i < 250 && !/^BUSY/.test(String((busy as Error)?.message)); i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        busy = await admin.ping().then(
          () => undefined,
          (err: unknown) => err,
        );
      }
      assert.match(String((busy as Error).message), /^BUSY/);
      assert.equal(isDecline(busy), false);
      assert.equal(isTimeout(busy), false);
      await admin.script('KILL');
      await held;
      // A command Redis holds past the client's timeout.
      const blocked = await rejection(() => quick.blpop('pulse:test:never', 1));
      assert.equal(isTimeout(blocked), true, String(blocked));
      assert.equal(isDecline(blocked), false);
      quick.disconnect();
      const closed = await rejection(() => quick.ping());
      assert.equal(isDecline(closed), false, String(closed));
      assert.equal(isTimeout(closed), false, String(closed));
    } finally {
      quick.disconnect();
    }
  });
});
