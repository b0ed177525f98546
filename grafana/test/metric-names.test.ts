// Every pulse_* series the dashboards and alert rules query is one the bridge defines (its metric-names module).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PULSE_METRICS, seriesNames } from '@gravito/pulse-bridge/metric-names';
import { DASHBOARD_DIR, GRAFANA_DIR } from './dashboard-model.js';

const DEFINED = new Set(Object.values(PULSE_METRICS).flatMap(seriesNames));

function namesIn(text: string): Set<string> {
  return new Set(text.match(/\bpulse_[a-z0-9_]+/g) ?? []);
}

const SOURCES = [
  join(GRAFANA_DIR, 'prometheus', 'rules.yml'),
  join(GRAFANA_DIR, 'prometheus', 'rules.test.yml'),
  ...readdirSync(DASHBOARD_DIR, { recursive: true })
    .map(String)
    .filter((file) => file.endsWith('.json'))
    .map((file) => join(DASHBOARD_DIR, file)),
];

for (const file of SOURCES) {
  test(`${file.slice(GRAFANA_DIR.length + 1)} uses only metrics the bridge defines`, () => {
    const used = namesIn(readFileSync(file, 'utf8'));
    assert.ok(used.size > 0, 'no pulse_* series found: the check would pass vacuously');
    assert.deepEqual(
      [...used].filter((name) => !DEFINED.has(name)),
      [],
    );
  });
}

test('the check catches a name the bridge does not define', () => {
  assert.deepEqual(
    [...namesIn('sum(rate(pulse_exceptions_total[5m])) / pulse_server_upp')].filter((name) => !DEFINED.has(name)),
    ['pulse_server_upp'],
  );
});
