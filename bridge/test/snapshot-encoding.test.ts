import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeApps } from '../src/monitor/snapshot-encoding.js';

describe("a tick's apps encoded into buffers of their own", () => {
  it('gives the event loop back while it lists many apps, and keeps their order and bytes', async () => {
    // 200 apps of ~50 µs each: ~10 ms of listing, as thousands of small apps take (~20 ms at 5,000 apps of two).
    const apps = Array.from({ length: 200 }, (_, i) => ({ app: `app-${i}` }));
    let turned = false;
    setImmediate(() => {
      turned = true;
    });
    let turnedBeforeTheLast = false;
    const encoded = await encodeApps(apps, (out, app) => {
      const until = performance.now() + 0.05;
      while (performance.now() < until);
      if (app === apps.at(-1)) turnedBeforeTheLast = turned;
      out.ascii(`{"app":"${app.app}"}`);
    });
    assert.ok(turnedBeforeTheLast, 'the loop turned before the last app was listed');
    assert.deepEqual(
      [...encoded].map(([app, bytes]) => [app, bytes.toString()]),
      apps.map(({ app }) => [app, `{"app":"${app}"}`]),
    );
  });
});
