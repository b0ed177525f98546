// The Prometheus config the demo and the end-to-end test generate is valid, and matches the shipped one.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { run, which } from '@gravito/pulse-testkit';
import { parse } from 'yaml';
import { prometheusConfig, ROOT, RULES_FILE } from '../demo/stack.js';

const promtool = which('promtool');

test('the generated Prometheus config passes promtool check config', { skip: promtool ? false : 'promtool is not on PATH' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-stack-test-'));
  try {
    const file = join(dir, 'prometheus.yml');
    writeFileSync(file, prometheusConfig('127.0.0.1:9464', 1, [RULES_FILE]));
    await run(promtool ?? 'promtool', ['check', 'config', file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('it uses the shipped job name, which PulseBridgeDown selects on', () => {
  const shipped = parse(readFileSync(join(ROOT, 'grafana', 'prometheus', 'prometheus.yml'), 'utf8'));
  const generated = parse(prometheusConfig('127.0.0.1:9464', 1, [RULES_FILE]));
  assert.equal(generated.scrape_configs[0].job_name, shipped.scrape_configs[0].job_name);
  assert.match(readFileSync(RULES_FILE, 'utf8'), new RegExp(`up\\{job="${shipped.scrape_configs[0].job_name}"\\}`));
  assert.equal(generated.global.scrape_interval, '1s');
});
