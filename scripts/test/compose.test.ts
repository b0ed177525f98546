// docker-compose.yml: validated by `docker-compose config` when it is installed, and checked against the
// files it mounts and the commands CI runs natively (there is no Docker engine on CI).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { run, which } from '@gravito/pulse-testkit';
import { parse } from 'yaml';
import { ROOT } from '../demo/stack.js';

const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'));
const dockerCompose = which('docker-compose');

test('docker-compose config -q accepts docker-compose.yml', {
  skip: dockerCompose ? false : 'docker-compose is not on PATH (apt-get install -y docker-compose)',
}, async () => {
  await run(dockerCompose ?? 'docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], { cwd: ROOT });
});

test('every service is there, third-party images are pinned, and every service but traffic has a healthcheck', () => {
  const services = compose.services as Record<string, { image?: string; healthcheck?: { test?: unknown; disable?: boolean } }>;
  assert.deepEqual(Object.keys(services).sort(), ['bridge', 'example-app', 'grafana', 'prometheus', 'redis', 'traffic']);
  assert.equal(services.redis?.image, 'redis:7.4-alpine');
  assert.match(services.prometheus?.image ?? '', /^prom\/prometheus:v\d+\.\d+\.\d+$/);
  assert.match(services.grafana?.image ?? '', /^grafana\/grafana:\d+\.\d+\.\d+$/);
  for (const [name, service] of Object.entries(services)) {
    if (name !== 'traffic') assert.ok(service.healthcheck?.test, `${name}: healthcheck`);
  }
});

test('Grafana is provisioned, anonymous Viewer, and opens on Pulse Overview', () => {
  const grafana = compose.services.grafana;
  assert.equal(grafana.environment.GF_AUTH_ANONYMOUS_ENABLED, 'true');
  assert.equal(grafana.environment.GF_AUTH_ANONYMOUS_ORG_ROLE, 'Viewer');
  const volumes = Object.fromEntries((grafana.volumes as string[]).map((v) => v.split(':').slice(0, 2) as [string, string]));
  assert.equal(volumes['./grafana/provisioning'], '/etc/grafana/provisioning');
  assert.equal(volumes['./grafana/dashboards'], '/var/lib/grafana/dashboards');
  const home = grafana.environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH as string;
  const local = home.replace('/var/lib/grafana/dashboards', join(ROOT, 'grafana', 'dashboards'));
  assert.ok(existsSync(local), `${home} → ${local}`);
});

test('the Dockerfiles build and start with the commands CI runs natively', () => {
  const bridge = readFileSync(join(ROOT, 'docker', 'bridge.Dockerfile'), 'utf8');
  const app = readFileSync(join(ROOT, 'docker', 'example-app.Dockerfile'), 'utf8');
  for (const file of [bridge, app]) {
    assert.match(file, /^RUN npm ci --no-audit --no-fund$/m);
    assert.match(file, /^RUN npm run build$/m);
  }
  assert.match(bridge, /^CMD \["node", "bridge\/dist\/cli\.js"\]$/m);
  assert.match(app, /^CMD \["node", "--import", "tsx", "exporter\/examples\/express-app\/server\.ts"\]$/m);
  assert.deepEqual(compose.services.traffic.command, ['node', '--import', 'tsx', 'exporter/examples/express-app/traffic.ts']);
  for (const file of ['bridge/src/cli.ts', 'exporter/examples/express-app/server.ts', 'exporter/examples/express-app/traffic.ts']) {
    assert.ok(existsSync(join(ROOT, file)), `${file} exists`);
  }
});
