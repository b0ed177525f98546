import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PULSE_EVENTS, slowKey, slowStreamFields } from '@gravito/pulse-protocol';
import { run, startRedis, type TestRedis } from '@gravito/pulse-testkit';
import { SseClient, slowEntry, startBridgeSeeing, waitFor } from './helpers.js';

describe('metric labels stay bounded', () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  it('caps routes per app (the rest count as "other"), and maps unknown methods to OTHER', async () => {
    const app = 'label-cap';
    const client = redis.client();
    const bridge = await startBridgeSeeing(redis, app, { metricsMaxRoutes: 3 });
    try {
      const sse = await SseClient.connect(`${bridge.url}/api/pulse/stream`);
      for (let i = 0; i < 6; i++)
        await client.xadd(slowKey(app), '*', ...slowStreamFields(slowEntry({ route: `/r/${i}`, name: `GET /r/${i}` })));
      await client.xadd(slowKey(app), '*', ...slowStreamFields(slowEntry({ route: '/r/0', method: 'BREW' })));
      await waitFor(() => sse.of(PULSE_EVENTS.slow).length >= 7, 5_000, 'entries read');
      await sse.close();
      const text = await (await fetch(`${bridge.url}/metrics`)).text();
      const routes = [
        ...text.matchAll(
          new RegExp(`pulse_slow_entries_total\\{app="${app}",kind="request",method="[A-Z]+",route="([^"]+)"\\} (\\d+)`, 'g'),
        ),
      ].map((m) => [m[1], Number(m[2])]);
      assert.deepEqual(new Set(routes.map(([r]) => r)), new Set(['/r/0', '/r/1', '/r/2', 'other']));
      assert.equal(
        routes.filter(([r]) => r === 'other').reduce((n, [, c]) => n + (c as number), 0),
        3,
      );
      assert.match(text, new RegExp(`pulse_slow_entries_total\\{app="${app}",kind="request",method="OTHER",route="/r/0"\\} 1`));
      assert.match(text, /\npulse_bridge_label_overflow_total\{label="route"\} 3\n/);
      await run('promtool', ['check', 'metrics'], { input: text });
    } finally {
      await bridge.stop();
    }
  });
});
