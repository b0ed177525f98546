// Lint of the built dashboard JSON, and drift between grafana/src and the committed files.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderDashboards } from '../src/index.js';
import {
  allPanels,
  counterViolations,
  type Dashboard,
  loadDashboards,
  panelQueries,
  parseLabelValues,
  variableQuery,
} from './dashboard-model.js';

const dashboards = loadDashboards();
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template.
const DS = '${datasource}';

describe('dashboards as code', () => {
  test('the committed JSON is what grafana/src renders (run npm run build:dashboards after a change)', () => {
    const rendered = renderDashboards();
    assert.deepEqual(
      dashboards.map((d) => d.file.replaceAll('\\', '/')),
      rendered.map((r) => r.file).sort(),
      'dashboard files differ from the rendered set',
    );
    for (const r of rendered) {
      const onDisk = dashboards.find((d) => d.file.replaceAll('\\', '/') === r.file);
      assert.equal(onDisk?.text, r.json, `${r.file} drifted from grafana/src: run npm run build:dashboards`);
    }
  });

  test('uids are stable and match the file names', () => {
    assert.deepEqual(
      dashboards.map((d) => [d.file.replaceAll('\\', '/'), d.model.uid, d.model.title]),
      [
        ['pulse/pulse-overview.json', 'pulse-overview', 'Pulse Overview'],
        ['pulse/pulse-server.json', 'pulse-server', 'Pulse Server'],
      ],
    );
  });

  test('the counter lint itself catches raw counters, other functions and fixed windows', () => {
    assert.deepEqual(counterViolations('rate(a_total{x="y"}[$__rate_interval])'), []);
    assert.deepEqual(counterViolations('sum by (le) (increase(h_bucket[$__range]))'), []);
    assert.deepEqual(counterViolations('a_total'), ['a_total']);
    assert.deepEqual(counterViolations('rate(a_total[5m])'), ['a_total']);
    assert.deepEqual(counterViolations('irate(a_total[$__rate_interval])'), ['a_total']);
    assert.deepEqual(counterViolations('sum(h_count)'), ['h_count']);
    assert.deepEqual(counterViolations('up{job="x_total"}'), []);
  });
});

for (const { file, text, model } of dashboards) {
  describe(`${file} lint`, () => {
    test('has a current schemaVersion and panels', () => {
      assert.ok(model.schemaVersion >= 39, `schemaVersion ${model.schemaVersion}`);
      assert.ok(allPanels(model).length > 0);
      assert.ok(Array.isArray(model.annotations?.list), 'annotations.list (Grafana expects the built-in entry)');
    });

    test('has no DS_* import placeholders', () => {
      assert.doesNotMatch(text, /\$\{DS_/);
      assert.doesNotMatch(text, /__inputs|__requires/);
    });

    test('every panel has a title, a description, a unit and the datasource-variable uid, on the panel and on each query', () => {
      for (const panel of allPanels(model)) {
        const where = `${model.uid} / ${panel.title}`;
        assert.ok(panel.title, `${where}: title`);
        assert.ok(panel.description && panel.description.length > 10, `${where}: description`);
        assert.ok(panel.fieldConfig?.defaults?.unit, `${where}: unit`);
        assert.equal(panel.datasource?.uid, DS, `${where}: datasource uid`);
        assert.equal(panel.datasource?.type, 'prometheus', `${where}: datasource type`);
        assert.ok((panel.targets ?? []).length > 0, `${where}: no queries`);
        for (const t of panel.targets ?? []) {
          assert.equal(t.datasource?.uid, DS, `${where} ${t.refId}: datasource uid`);
          assert.ok(t.expr, `${where} ${t.refId}: expr`);
        }
      }
    });

    test('panel ids are unique and refIds are unique within a panel', () => {
      const ids = model.panels.flatMap((p) => [p.id, ...(p.panels ?? []).map((q) => q.id)]);
      assert.ok(
        ids.every((id) => typeof id === 'number'),
        'every panel has an id',
      );
      assert.equal(new Set(ids).size, ids.length, 'duplicate panel id');
      for (const panel of allPanels(model)) {
        const refs = (panel.targets ?? []).map((t) => t.refId);
        assert.ok(
          refs.every((r) => r),
          `${panel.title}: refId`,
        );
        assert.equal(new Set(refs).size, refs.length, `${panel.title}: duplicate refId`);
      }
    });

    test('counters appear only inside rate/increase over $__rate_interval or $__range', () => {
      for (const q of panelQueries(model)) {
        assert.deepEqual(counterViolations(q.expr), [], `${q.panel} ${q.refId}: ${q.expr}`);
      }
    });

    test('one datasource variable; query variables use label_values on it and refresh on time range change', () => {
      const vars = model.templating.list;
      const ds = vars.filter((v) => v.type === 'datasource');
      assert.equal(ds.length, 1);
      assert.equal(ds[0]?.name, 'datasource');
      assert.equal(variableQuery(ds[0] as Dashboard['templating']['list'][number]), 'prometheus');
      for (const v of vars.filter((x) => x.type === 'query')) {
        assert.equal(v.refresh, 2, `${v.name}: refresh`);
        assert.equal(v.datasource?.uid, DS, `${v.name}: datasource`);
        assert.ok(parseLabelValues(variableQuery(v)), `${v.name}: label_values query`);
        assert.equal(parseLabelValues(variableQuery(v))?.label, v.name, `${v.name}: label_values of its own label`);
      }
    });
  });
}

test('Pulse Overview: app and server are multi-value with All; the grid has every Pulse card', () => {
  const overview = dashboards.find((d) => d.model.uid === 'pulse-overview')?.model;
  assert.ok(overview);
  for (const name of ['app', 'server']) {
    const v = overview.templating.list.find((x) => x.name === name);
    assert.ok(v?.multi && v.includeAll, `${name}: multi + All`);
  }
  const rows = overview.panels.filter((p) => p.type === 'row').map((p) => p.title);
  assert.deepEqual(rows, [
    'App health',
    'Servers',
    'Server $server',
    'Processes',
    'Slow requests',
    'Slow queries and outgoing requests',
    'Exceptions',
    'Queues',
    'Trends',
  ]);
  // Laravel Pulse's slow cards, each on its own kinds.
  const tables = allPanels(overview).filter((p) => p.type === 'table');
  for (const [title, kinds] of [
    ['Slow requests and jobs: top 10', 'kind!~"query|outgoing"'],
    ['Slow queries: top 10', 'kind="query"'],
    ['Slow outgoing requests: top 10', 'kind="outgoing"'],
  ] as const) {
    const panel = tables.find((p) => p.title === title);
    assert.ok(panel, title);
    for (const q of panelQueries({ ...overview, panels: [panel] })) assert.ok(q.expr.includes(kinds), `${title}: ${q.expr}`);
  }
  assert.equal(overview.panels.find((p) => p.title === 'Server $server')?.repeat, 'server', 'one row per server');
  // A lost server is marked, not silently dropped.
  assert.match(JSON.stringify(overview), /LOST/);
  const types = new Set(allPanels(overview).map((p) => p.type));
  for (const t of ['stat', 'gauge', 'bargauge', 'table', 'timeseries']) assert.ok(types.has(t), `a ${t} panel`);
});
