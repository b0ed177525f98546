// Every query is evaluated: a real Redis, the example app with Pulse and its traffic, the bridge, and a real
// Prometheus scraping the bridge every second. Once data flows, every panel target of every dashboard, every
// alert expression and every label_values variable must return data through Prometheus's HTTP API. When a Bun
// binary is found (CI installs one), the Bun.serve example app runs next to it under its own app name, with its own
// traffic, and every variable and panel target must return data for it too: a Bun app shows as a Node app does.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type SlowEntry, slowKey, slowStreamFields } from '@gravito/pulse-protocol';
import { findBun, NO_BUN, startRedis, type TestRedis, which } from '@gravito/pulse-testkit';
import { parse } from 'yaml';
import { Child } from '../../scripts/demo/processes.js';
import { EXAMPLE_DIR, ROOT, type Stack, startStack } from '../../scripts/demo/stack.js';
import { allPanels, GRAFANA_DIR, loadDashboards, panelQueries, parseLabelValues, variableQuery } from './dashboard-model.js';
import { escapeRegex, expand as expandQuery, type PromResult, prom as promApi, type Variables } from './prometheus-api.js';

const skip = which('prometheus') ? false : 'prometheus is not on PATH (apt-get install -y prometheus; .ci/run installs it)';
const APP = `e2e-${randomBytes(3).toString('hex')}`;
const bun = findBun();
const BUN_APP = `${APP}-bun`;
/** The apps every variable and panel must show: the Node example app, and the Bun one when there is a Bun. */
const APPS = bun ? [APP, BUN_APP] : [APP];
const SCRAPE_SECONDS = 1;
const DEADLINE_MS = 75_000;

const CLUSTER_APP = `${APP}-cluster`;
const CLUSTER_DIR = fileURLToPath(new URL('../../exporter/examples/cluster-app/', import.meta.url));

let redis: TestRedis | undefined;
let stack: Stack | undefined;
const bunChildren: Child[] = [];
/** The cluster example (a primary and 2 workers) under the zero-code entry, next to the demo stack. */
let clusterApp: Child | undefined;
let startedAt = 0;
let agent: NodeJS.Timeout | undefined;

/**
 * A Zenith agent (Quasar) of each app, watching a queue: the bridge reads it into the queue series. Its id
 * sorts after any host name, so that `$server` (the first value) stays the example app's server, which has disks.
 */
function writeAgentNode(client: ReturnType<TestRedis['client']>, service: string): Promise<unknown> {
  const node = {
    id: 'zzzz-quasar-worker',
    service,
    language: 'node',
    version: process.version,
    pid: process.pid,
    hostname: 'zzzz-quasar-worker',
    platform: process.platform,
    cpu: { system: 10, process: 2, cores: 2 },
    memory: { system: { total: 8e9, free: 4e9, used: 4e9 }, process: { rss: 8e7, heapTotal: 4e7, heapUsed: 3e7 } },
    queues: [{ name: 'emails', driver: 'redis', size: { waiting: 5, active: 1, failed: 0, delayed: 2 }, throughput: { in: 60, out: 57 } }],
    runtime: { uptime: process.uptime(), framework: 'Quasar' },
    timestamp: Date.now(),
  };
  return client.set(`gravito:quasar:node:${service}:${node.id}`, JSON.stringify(node), 'EX', 30);
}

/**
 * A slow query and a slow outgoing request of each app, as the SDK writes them from CLIENT spans (the example apps
 * make neither): the Slow queries and Slow outgoing requests panels need entries of those kinds.
 * scripts/test/slow-clients.test.ts makes real ones through the zero-code entry.
 */
function writeClientEntries(client: ReturnType<TestRedis['client']>, app: string): Promise<unknown> {
  const common = { duration_ms: 1_250, threshold_ms: 1_000, timestamp: Date.now(), server_id: 'e2e-clients', host: { cpu_usage: 12 } };
  const entries: SlowEntry[] = [
    { kind: 'query', name: 'SELECT * FROM orders WHERE email = ?', ...common },
    { kind: 'outgoing', name: 'GET 127.0.0.1:9/users/:id', method: 'GET', status: 200, ...common },
  ];
  return Promise.all(entries.map((entry) => client.xadd(slowKey(app), '*', ...slowStreamFields(entry))));
}

before(async () => {
  if (skip) return;
  redis = await startRedis();
  startedAt = Date.now();
  stack = await startStack({
    redisUrl: redis.url,
    bridgePort: 0,
    appPort: 0,
    prometheusPort: 0,
    scrapeIntervalSeconds: SCRAPE_SECONDS,
    // A unique app name, so that a shared REDIS_URL server's other apps do not matter; fast heartbeats, a busy
    // traffic generator and a short lost-after keep the test short.
    env: { PULSE_APP_NAME: APP, PULSE_INTERVAL_MS: '1000', PULSE_STREAM_INTERVAL_MS: '1000', TRAFFIC_RPS: '20' },
  });
  const client = redis.client();
  const writeAgents = () => Promise.all(APPS.flatMap((app) => [writeAgentNode(client, app), writeClientEntries(client, app)]));
  await writeAgents();
  // Every 5 s, as an agent would (more often than its 10 s, so that it never looks late on a loaded machine).
  agent = setInterval(() => void writeAgents().catch(() => {}), 5_000);
  agent.unref();
  clusterApp = new Child('cluster-app', process.execPath, ['--import', '@gravito/pulse-node/register', 'server.mjs'], {
    cwd: CLUSTER_DIR,
    env: { ...process.env, OTEL_SERVICE_NAME: CLUSTER_APP, REDIS_URL: redis.url, PULSE_INTERVAL_MS: '1000', PORT: '0', WORKERS: '2' },
  });
  if (!bun) {
    console.log(`# the Bun example app is not checked: ${NO_BUN}`);
    return;
  }
  const env = { ...process.env, REDIS_URL: redis.url, PULSE_APP_NAME: BUN_APP, PULSE_INTERVAL_MS: '1000', PORT: '0' };
  const app = new Child('bun-app', bun, [join('exporter', 'examples', 'bun-app', 'server.ts')], { cwd: ROOT, env });
  bunChildren.push(app);
  const url = (await app.waitForLine(/listening on (http:\/\/\S+)/, 30_000))[1] as string;
  const traffic = [process.execPath, '--import', 'tsx', join(EXAMPLE_DIR, 'traffic.ts')];
  bunChildren.push(
    new Child('bun-traffic', traffic[0] as string, traffic.slice(1), { cwd: ROOT, env: { ...env, TARGET_URL: url, TRAFFIC_RPS: '20' } }),
  );
});

after(async () => {
  clearInterval(agent);
  for (const child of bunChildren.reverse()) await child.stop();
  await clusterApp?.stop();
  await stack?.stop();
  await redis?.stop();
});

function prom(path: string, params: Record<string, string | string[]>): Promise<PromResult> {
  return promApi(stack?.prometheusUrl, path, params);
}

function expand(expr: string, vars: Variables): string {
  return expandQuery(expr, vars, startedAt, SCRAPE_SECONDS);
}

/**
 * Alert expressions return nothing while all is healthy, by design, so they cannot be checked as they are.
 * Each comparison with a number is given the `bool` modifier instead (`x > 0.9` → `x > bool 0.9`): the same
 * selectors, joins and arithmetic run, but every series comes back as 0 or 1 instead of being filtered out.
 * That proves the names and labels exist and the joins match (what silently breaks when the bridge changes);
 * the thresholds themselves are covered by promtool's unit tests (rules.test.yml). Rewriting the comparison
 * keeps the whole expression, where stripping it would drop the right-hand side of `and` joins.
 */
function withBoolComparisons(expr: string): string {
  return expr.replace(/(==|!=|>=|<=|>|<)\s*(?=[-+]?\d|\.\d)/g, '$1 bool ');
}

async function labelValues(selector: string, label: string): Promise<string[]> {
  const result = await prom(`/api/v1/label/${label}/values`, {
    'match[]': selector,
    start: String(Math.floor(startedAt / 1000) - 60),
    end: String(Math.ceil(Date.now() / 1000)),
  });
  assert.equal(result.status, 'success', `${label} values of ${selector}: ${result.error}`);
  return result.data as string[];
}

/** Polls until `check` returns no failures, or the deadline passes; then returns the last failures. */
async function eventually(check: () => Promise<string[]>): Promise<string[]> {
  let failures: string[] = [];
  while (Date.now() - startedAt < DEADLINE_MS) {
    failures = await check();
    if (failures.length === 0) return [];
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return failures;
}

async function currentVariables(app = APP): Promise<Variables | undefined> {
  const servers = await labelValues(`pulse_server_up{app="${app}"}`, 'server');
  const mounts = await labelValues(`pulse_server_disk_total_bytes{app="${app}"}`, 'mount');
  if (servers.length === 0 || mounts.length === 0) return undefined;
  // A single value is what the drill-down gets, and what a repeated row substitutes; Grafana escapes regex values.
  return { app: escapeRegex(app), server: escapeRegex(servers[0] as string), mount: mounts.map(escapeRegex).join('|') };
}

async function failingQueries(queries: Array<{ what: string; expr: string }>, vars: Variables): Promise<string[]> {
  const failures: string[] = [];
  for (const { what, expr } of queries) {
    const query = expand(expr, vars);
    const result = await prom('/api/v1/query', { query });
    const series = result.status === 'success' && !Array.isArray(result.data) ? result.data.result.length : 0;
    if (result.status !== 'success') failures.push(`${what}: ${result.error}\n    ${query}`);
    else if (series === 0) failures.push(`${what}: no series\n    ${query}`);
  }
  return failures;
}

test('data flows: the example app is up in Prometheus, with slow entries and exceptions', {
  skip,
  timeout: DEADLINE_MS + 10_000,
}, async () => {
  const failures = await eventually(async () => {
    const out: string[] = [];
    const expressions = APPS.flatMap((app) => [
      `pulse_server_up{app="${app}"} == 1`,
      `pulse_slow_entries_total{app="${app}"}`,
      `pulse_slow_entry_duration_seconds_count{app="${app}"}`,
      `pulse_slow_route_max_duration_seconds{app="${app}", route="/slow/:id"}`,
      `pulse_exceptions_total{app="${app}"}`,
    ]);
    // Each app under its runtime's name.
    expressions.push(`pulse_server_info{app="${APP}", runtime="node"}`);
    if (bun) expressions.push(`pulse_server_info{app="${BUN_APP}", runtime="bun"}`);
    for (const expr of expressions) {
      const result = await prom('/api/v1/query', { query: expr });
      if (result.status !== 'success' || Array.isArray(result.data) || result.data.result.length === 0) out.push(expr);
    }
    return out;
  });
  assert.deepEqual(failures, [], `no data yet for:\n${failures.join('\n')}`);
});

test('every label_values variable returns values', { skip, timeout: DEADLINE_MS + 10_000 }, async () => {
  const failures = await eventually(async () => {
    const out: string[] = [];
    for (const app of APPS) {
      const vars = await currentVariables(app);
      if (!vars) {
        out.push(`${app}: server and mount label values`);
        continue;
      }
      for (const { model } of loadDashboards()) {
        for (const variable of model.templating.list.filter((v) => v.type === 'query')) {
          const parsed = parseLabelValues(variableQuery(variable));
          assert.ok(parsed, `${model.uid} $${variable.name}: not a label_values query`);
          const selector = expand(parsed.selector, vars);
          const values = await labelValues(selector, parsed.label);
          if (values.length === 0) out.push(`${model.uid} $${variable.name}: label_values(${selector}, ${parsed.label})`);
        }
      }
    }
    return out;
  });
  assert.deepEqual(failures, [], failures.join('\n'));
});

test('every panel target of every dashboard returns at least one series', { skip, timeout: DEADLINE_MS + 10_000 }, async () => {
  const queries = loadDashboards().flatMap(({ model }) =>
    panelQueries(model).map((q) => ({ what: `${q.dashboard} / ${q.panel} / ${q.refId}`, expr: q.expr })),
  );
  assert.ok(queries.length > 40, `only ${queries.length} queries found`);
  const failures = await eventually(async () => {
    const out: string[] = [];
    for (const app of APPS) {
      const vars = await currentVariables(app);
      out.push(...(vars ? (await failingQueries(queries, vars)).map((f) => `${app}: ${f}`) : [`${app}: variables`]));
    }
    return out;
  });
  assert.deepEqual(failures, [], `queries without data:\n${failures.join('\n')}`);
  // A negative control: a misspelt name is reported, so the checks above are not vacuous.
  const vars = await currentVariables();
  assert.ok(vars);
  assert.equal((await failingQueries([{ what: 'control', expr: 'pulse_server_upp{app=~"$app"}' }], vars)).length, 1);
});

test('every alert expression (comparisons made bool) returns at least one series', { skip, timeout: DEADLINE_MS + 10_000 }, async () => {
  assert.equal(withBoolComparisons('a > 0.9 and on (x) b == 1'), 'a > bool 0.9 and on (x) b == bool 1');
  assert.equal(withBoolComparisons('up{job!="x", le="0.5"} == 0'), 'up{job!="x", le="0.5"} == bool 0');
  const rules = parse(readFileSync(join(GRAFANA_DIR, 'prometheus', 'rules.yml'), 'utf8'));
  const queries = rules.groups.flatMap((g: { rules: Array<{ alert: string; expr: string }> }) =>
    g.rules.map((r) => ({ what: `alert ${r.alert}`, expr: withBoolComparisons(r.expr) })),
  );
  assert.equal(queries.length, 10);
  const failures = await eventually(async () => {
    const vars = await currentVariables();
    return vars ? failingQueries(queries, vars) : ['variables'];
  });
  assert.deepEqual(failures, [], `alert expressions without data:\n${failures.join('\n')}`);
});

test('the cluster example (2 workers): 3 processes in /metrics and in the Process list panel', {
  skip,
  timeout: DEADLINE_MS + 10_000,
}, async () => {
  const processList = loadDashboards()
    .flatMap(({ model }) => panelQueries(model))
    .filter((q) => q.panel === 'Process list');
  assert.equal(processList.length, 2, 'the Process list panel has a CPU and an RSS query');
  const failures = await eventually(async () => {
    // The primary is the server whose process list has cluster workers.
    const servers = await labelValues(`pulse_server_process_resident_memory_bytes{app="${CLUSTER_APP}", kind="cluster"}`, 'server');
    if (servers.length !== 1) return [`one server with cluster workers, got ${JSON.stringify(servers)}`];
    const server = servers[0] as string;
    const metrics = await (await fetch(`${stack?.bridgeUrl}/metrics`)).text();
    const lines = metrics
      .split('\n')
      .filter((l) => l.startsWith('pulse_server_process_resident_memory_bytes{') && l.includes(`server="${server}"`));
    const out: string[] = [];
    if (lines.length !== 3) out.push(`/metrics: ${lines.length} processes for ${server}, want 3 (main + 2 workers)`);
    const vars = { app: escapeRegex(CLUSTER_APP), server: escapeRegex(server), mount: '/' };
    for (const q of processList) {
      const result = await prom('/api/v1/query', { query: expand(q.expr, vars) });
      const series = result.status === 'success' && !Array.isArray(result.data) ? result.data.result.length : -1;
      if (series !== 3) out.push(`${q.refId}: ${series} series, want 3`);
    }
    return out;
  });
  assert.deepEqual(failures, [], `${failures.join('\n')}\nthe cluster app's last output:\n${clusterApp?.recentOutput}`);
});

test('the Redis stat names every state of reachability and fullness, unknown fullness included, as Prometheus computes it', {
  skip,
  timeout: DEADLINE_MS + 10_000,
}, async () => {
  const panel = loadDashboards()
    .flatMap(({ model }) => allPanels(model))
    .find((p) => p.title === 'Redis');
  const expr = panel?.targets?.[0]?.expr ?? '';
  const texts: Record<string, { text?: string }> = Object.assign(
    {},
    ...(panel?.fieldConfig?.defaults?.mappings ?? []).map((m) => m.options),
  );
  // The gauges' states, each put in place of the real series: Prometheus computes the panel's expression over them.
  const states: Array<[up: string, oom: string, text: string]> = [
    ['1', '0', 'reachable'],
    ['0', '0', 'UNREACHABLE'],
    ['1', '1', 'FULL: refuses writes'],
    ['0', '1', 'UNREACHABLE'],
    ['1', 'NaN', 'reachable; full? unknown'],
    ['0', 'NaN', 'UNREACHABLE'],
  ];
  for (const [up, oom, text] of states) {
    const query = expr.replaceAll('pulse_bridge_redis_up', `vector(${up})`).replaceAll('pulse_bridge_redis_oom', `vector(${oom})`);
    assert.notEqual(query, expr);
    const result = await prom('/api/v1/query', { query });
    assert.equal(result.status, 'success', `${query}: ${result.error}`);
    const value = Array.isArray(result.data) ? undefined : (result.data.result[0] as { value?: [number, string] } | undefined)?.value?.[1];
    assert.equal(texts[value ?? 'none']?.text, text, `up ${up}, oom ${oom}: ${query} = ${value}`);
  }
});
