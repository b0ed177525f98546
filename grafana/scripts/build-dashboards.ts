// Writes grafana/dashboards/pulse/*.json from the TypeScript source in grafana/src.
// Run: npm run build:dashboards (a test fails when the committed files drift from the source).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderDashboards } from '../src/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'dashboards');
for (const { file, json } of renderDashboards()) {
  const path = join(root, file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, json);
  console.log(`wrote ${join('grafana', 'dashboards', file)}`);
}
