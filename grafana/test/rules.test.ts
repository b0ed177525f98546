// promtool on the Prometheus config and alerting rules: syntax, and the unit tests in rules.test.yml.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { run, which } from '@gravito/pulse-testkit';
import { parse } from 'yaml';
import { GRAFANA_DIR } from './dashboard-model.js';

const PROM_DIR = join(GRAFANA_DIR, 'prometheus');
const promtool = which('promtool');
const skip = promtool ? false : 'promtool is not on PATH (apt-get install -y prometheus; .ci/run installs it)';

/** promtool's stdout and stderr together, where the checks below look for its verdict. */
async function promtoolOutput(...args: string[]): Promise<string> {
  const { stdout, stderr } = await run(promtool ?? 'promtool', args, { cwd: PROM_DIR });
  return `${stdout}${stderr}`;
}

test('promtool check rules', { skip }, async () => {
  assert.match(await promtoolOutput('check', 'rules', 'rules.yml'), /SUCCESS: 10 rules found/);
});

test('promtool check config (scrapes the bridge, loads the rules)', { skip }, async () => {
  await promtoolOutput('check', 'config', 'prometheus.yml');
  const config = parse(readFileSync(join(PROM_DIR, 'prometheus.yml'), 'utf8'));
  assert.deepEqual(config.scrape_configs[0].static_configs[0].targets, ['bridge:9464']);
});

test('promtool test rules (rules.test.yml)', { skip }, async () => {
  assert.match(await promtoolOutput('test', 'rules', 'rules.test.yml'), /SUCCESS/);
});

test('every alert has a severity, a summary and a description, and is unit-tested', () => {
  const rules = parse(readFileSync(join(PROM_DIR, 'rules.yml'), 'utf8'));
  const tests = readFileSync(join(PROM_DIR, 'rules.test.yml'), 'utf8');
  const alerts = rules.groups.flatMap((g: { rules: Array<Record<string, unknown>> }) => g.rules);
  assert.deepEqual(
    alerts.map((r: { alert: string }) => r.alert),
    [
      'PulseServerLost',
      'PulseServerCpuHigh',
      'PulseServerMemoryHigh',
      'PulseServerDiskHigh',
      'PulseExceptionSpike',
      'PulseBridgeRedisUnreachable',
      'PulseBridgePollsFailing',
      'PulseRedisOutOfMemory',
      'PulseBridgeReadsEveryKey',
      'PulseBridgeDown',
    ],
  );
  for (const rule of alerts as Array<{ alert: string; labels?: { severity?: string }; annotations?: Record<string, string> }>) {
    assert.ok(rule.labels?.severity, `${rule.alert}: severity`);
    assert.ok(rule.annotations?.summary && rule.annotations.description, `${rule.alert}: annotations`);
    assert.match(tests, new RegExp(`alertname: ${rule.alert}\\b`), `${rule.alert}: no promtool test`);
  }
});
