// Grafana provisioning: the datasource uid the dashboards default to, and a file provider for grafana/dashboards.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { DASHBOARD_DIR, GRAFANA_DIR, loadDashboards } from './dashboard-model.js';

const read = (path: string) => parse(readFileSync(join(GRAFANA_DIR, path), 'utf8'));

test('the Prometheus datasource has a fixed uid, the default of every dashboard datasource variable', () => {
  const { apiVersion, datasources } = read('provisioning/datasources/prometheus.yml');
  assert.equal(apiVersion, 1);
  assert.equal(datasources.length, 1);
  const [ds] = datasources;
  assert.equal(ds.type, 'prometheus');
  assert.equal(ds.uid, 'pulse-prometheus');
  assert.equal(ds.url, 'http://prometheus:9090');
  for (const { model } of loadDashboards()) {
    const variable = model.templating.list.find((v) => v.type === 'datasource') as { current?: { value?: string } } | undefined;
    assert.equal(variable?.current?.value, ds.uid, `${model.uid}: datasource variable default`);
  }
});

test('a file provider serves the built dashboards', () => {
  const { apiVersion, providers } = read('provisioning/dashboards/pulse.yml');
  assert.equal(apiVersion, 1);
  assert.equal(providers[0].type, 'file');
  assert.equal(providers[0].options.path, '/var/lib/grafana/dashboards/pulse');
  assert.ok(existsSync(join(DASHBOARD_DIR, 'pulse', 'pulse-overview.json')));
});
