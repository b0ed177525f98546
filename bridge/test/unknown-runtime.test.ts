import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { suiteRedisAndBridge, waitFor, writeHeartbeat } from './helpers.js';

// The protocol's rule for a runtime a reader does not know (protocol/README.md, "Unknown runtimes"): a newer SDK's
// heartbeat is served and labelled runtime="other", not discarded; Bun and Deno are known names.
describe('runtimes: known ones by name, an unknown token as "other"', () => {
  const suite = suiteRedisAndBridge();

  it('serves bun, deno and an unknown runtime token; rejects a runtime that is not a token', async () => {
    const { client, bridge } = suite;
    const app = 'runtimes';
    const invalidBefore = bridge.bridge.monitor.invalid.counts.heartbeat;
    for (const runtime of ['bun', 'deno', 'ruby']) {
      await writeHeartbeat(client, app, runtime, (hb) => {
        (hb.meta as { runtime: string }).runtime = runtime;
      });
    }
    await writeHeartbeat(client, app, 'broken', (hb) => {
      (hb.meta as { runtime: string }).runtime = 'Ruby "3"';
    });
    const text = await waitFor(
      async () => {
        const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
        return metrics.includes(`server="ruby"`) ? metrics : undefined;
      },
      3_000,
      'the servers on /metrics',
    );
    const runtimes = Object.fromEntries(
      [...text.matchAll(new RegExp(`pulse_server_info\\{app="${app}",server="([^"]+)",.*runtime="([^"]+)"`, 'g'))].map((m) => [m[1], m[2]]),
    );
    assert.deepEqual(runtimes, { bun: 'bun', deno: 'deno', ruby: 'other' });
    assert.equal(bridge.bridge.monitor.invalid.counts.heartbeat - invalidBefore, 1, 'only the broken one is rejected');
  });
});
