// A Zenith Go agent on the Pulse page, in a real headless Chromium (issue 22): the node exactly as the agent writes it
// (status degraded, two Laravel queue workers, heap 0, no load average) reads as degraded, lists its workers, and
// shows no load figure it does not have.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { type PulseNode, quasarNodeKey } from '@gravito/pulse-protocol';
import { skipWithoutChromium } from '@gravito/pulse-testkit';
import { suitePage, waitFor } from './helpers.js';

const GO_AGENT: PulseNode = (
  JSON.parse(readFileSync(new URL('../../protocol/vectors/pulse-node.json', import.meta.url), 'utf8')).cases as {
    why: string;
    value: PulseNode;
  }[]
).find((c) => c.why.startsWith('the Go agent (quasar-go)'))?.value as PulseNode;

// In CI a missing Chromium fails (launchChromium says how to install it) rather than skipping.
const skip = skipWithoutChromium();

describe('a Zenith Go agent on the Pulse page', { skip }, () => {
  const suite = suitePage();

  it('reads as degraded with its fault, lists its two queue workers, and says its load is not reported', async () => {
    await suite.client.set(quasarNodeKey(GO_AGENT.service, GO_AGENT.id), JSON.stringify({ ...GO_AGENT, timestamp: Date.now() }), 'EX', 60);
    const { page, log } = await suite.browser.open();
    await page.goto(`${suite.bridge.url}/`);
    const card = page.locator('#app-shop-laravel .card.server');
    await waitFor(async () => (await card.count()) === 1, 10_000, 'the agent’s card');

    // Said in words (\s: the page joins a value's words with no-break spaces), the border only repeats it.
    await waitFor(
      async () => /⚠\sAgent\sdegraded:\smonitor_redis_offline/.test((await card.textContent()) ?? ''),
      5_000,
      'the agent status',
    );
    assert.match((await card.getAttribute('class')) ?? '', /\bis-degraded\b/);
    assert.match((await card.locator('.status').textContent()) ?? '', /Online/, 'the bridge still hears it: online, and degraded');

    const rows = await card.locator('table.processes tbody tr').allTextContents();
    assert.equal(rows.length, 3, `the agent and its two workers: ${rows.join(' | ')}`);
    assert.match(rows[1] ?? '', /^queue\sphp \/var\/www\/shop\/artisan queue:work.*9101/);
    assert.match(rows[2] ?? '', /^queue\sphp \/var\/www\/shop\/artisan horizon:work.*9102/);

    const load = (await card.locator('.fact', { hasText: 'Load' }).locator('dd').textContent()) ?? '';
    assert.equal(load, 'not reported', 'no load average: unknown, not 0.00');

    const health = (await page.locator('#app-shop-laravel').textContent()) ?? '';
    assert.match(health, /⚠\sDegraded/);
    assert.match(health, /agents report trouble on 1 of 1 servers: 1 degraded \(monitor_redis_offline\)/);
    assert.deepEqual(log.errors, []);
  });
});
