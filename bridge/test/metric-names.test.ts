// The /metrics contract: the pulse_* families a live bridge exposes are exactly those of src/outputs/metrics/names.ts,
// with the same type and help text (dashboards and alert rules take their names from that module).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PULSE_METRICS } from '../src/outputs/metrics/names.js';
import { SLOW_ROUTE_WINDOW_MS } from '../src/outputs/metrics/window-max.js';
import { suiteRedisAndBridge, waitFor, writeHeartbeat } from './helpers.js';

describe('/metrics contract', () => {
  const suite = suiteRedisAndBridge();

  it('exposes every defined family, and no pulse_* family that is not defined', async () => {
    await writeHeartbeat(suite.client, 'contract', 'web-1');
    await waitFor(() => suite.bridge.bridge.monitor.getAggregateMetrics().apps.length > 0, 3_000, 'app seen');
    const text = await (await fetch(`${suite.bridge.url}/metrics`)).text();
    const exposed = new Map<string, { type?: string; help?: string }>();
    for (const [, kind, name, rest] of text.matchAll(/^# (HELP|TYPE) (pulse_\w+) (.*)$/gm)) {
      const family = exposed.get(name as string) ?? {};
      if (kind === 'TYPE') family.type = rest;
      else family.help = rest;
      exposed.set(name as string, family);
    }
    const defined = new Map(
      Object.values(PULSE_METRICS).map((m) => [m.name as string, { type: m.type as string, help: m.help as string }]),
    );
    assert.deepEqual(Object.fromEntries(exposed), Object.fromEntries(defined));
  });

  it('states the slowest-per-route window the bridge uses', () => {
    assert.match(PULSE_METRICS.slowRouteMax.help, new RegExp(`last ${SLOW_ROUTE_WINDOW_MS / 1000} s`));
  });
});
