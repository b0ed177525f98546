import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as gauge from '@grafana/grafana-foundation-sdk/gauge';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

/**
 * Every panel and query points at the `datasource` variable: file provisioning does not resolve `${DS_*}`
 * import placeholders, and a variable lets one dashboard serve any Prometheus.
 */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template.
export const DATASOURCE: common.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

export interface Query {
  expr: string;
  legend?: string;
  /** An instant query (stats, gauges, tables); the default is a range query (time series). */
  instant?: boolean;
  /** Table format: one column per label, for table panels that join several queries. */
  table?: boolean;
}

/** What every panel must have: the helpers take them as required fields so that none can be forgotten. */
export interface PanelBase {
  title: string;
  description: string;
  unit: string;
  queries: Query[];
  w: number;
  h: number;
  min?: number;
  max?: number;
  decimals?: number;
  thresholds?: dashboard.Threshold[];
  mappings?: dashboard.ValueMapping[];
  noValue?: string;
  /** Repeat the panel per value of this variable. */
  repeat?: string;
}

const REF_IDS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export function refId(index: number): string {
  const id = REF_IDS[index];
  if (!id) throw new Error(`too many queries in one panel: ${index + 1}`);
  return id;
}

function target(query: Query, index: number): prometheus.DataqueryBuilder {
  const builder = new prometheus.DataqueryBuilder()
    .datasource(DATASOURCE)
    .refId(refId(index))
    .expr(query.expr)
    .legendFormat(query.legend ?? '__auto');
  if (query.instant || query.table) builder.instant();
  else builder.range();
  if (query.table) builder.format(prometheus.PromQueryFormat.Table);
  return builder;
}

export function thresholds(steps: dashboard.Threshold[]): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps);
}

/** Green below `warn`, orange from `warn`, red from `crit`: the Pulse colours for CPU, memory and disk. */
export function pressure(warn: number, crit: number): dashboard.Threshold[] {
  return [
    { value: null, color: 'green' },
    { value: warn, color: 'orange' },
    { value: crit, color: 'red' },
  ];
}

/** Pulse greys a lost server out and shows a signal-slash icon; Grafana gets a grey "⊘ LOST". */
export const LOST_GREY = '#8e8e8e';
export const STATUS_MAPPINGS: dashboard.ValueMapping[] = [
  {
    type: dashboard.MappingType.ValueToText,
    options: {
      '1': { text: 'ONLINE', color: 'green', index: 0 },
      '0': { text: '⊘ LOST', color: LOST_GREY, index: 1 },
    },
  },
  {
    type: dashboard.MappingType.SpecialValue,
    options: { match: dashboard.SpecialValueMatch.Null, result: { text: '⊘ GONE', color: LOST_GREY, index: 2 } },
  },
];

/** In a table, an online row keeps its normal background: only lost rows are greyed out. */
export const TABLE_STATUS_MAPPINGS: dashboard.ValueMapping[] = [
  {
    type: dashboard.MappingType.ValueToText,
    options: {
      '1': { text: 'online', color: 'transparent', index: 0 },
      '0': { text: '⊘ LOST', color: LOST_GREY, index: 1 },
    },
  },
];

type FieldConfigurable = {
  datasource(ds: common.DataSourceRef): unknown;
  title(t: string): unknown;
  description(d: string): unknown;
  unit(u: string): unknown;
  span(w: number): unknown;
  height(h: number): unknown;
  withTarget(t: cog.Builder<cog.Dataquery>): unknown;
  min(n: number): unknown;
  max(n: number): unknown;
  decimals(n: number): unknown;
  thresholds(t: cog.Builder<dashboard.ThresholdsConfig>): unknown;
  mappings(m: dashboard.ValueMapping[]): unknown;
  noValue(v: string): unknown;
  repeat(r: string): unknown;
  maxPerRow(n: number): unknown;
};

function base<T extends FieldConfigurable>(builder: T, p: PanelBase): T {
  builder.datasource(DATASOURCE);
  builder.title(p.title);
  builder.description(p.description);
  builder.unit(p.unit);
  builder.span(p.w);
  builder.height(p.h);
  p.queries.forEach((q, i) => {
    builder.withTarget(target(q, i));
  });
  if (p.min !== undefined) builder.min(p.min);
  if (p.max !== undefined) builder.max(p.max);
  if (p.decimals !== undefined) builder.decimals(p.decimals);
  builder.thresholds(thresholds(p.thresholds ?? [{ value: null, color: 'green' }]));
  if (p.mappings) builder.mappings(p.mappings);
  if (p.noValue !== undefined) builder.noValue(p.noValue);
  if (p.repeat) {
    builder.repeat(p.repeat);
    builder.maxPerRow(6);
  }
  return builder;
}

const LAST = () => new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false);

export interface StatOptions extends PanelBase {
  colorMode?: common.BigValueColorMode;
  textMode?: common.BigValueTextMode;
  graph?: boolean;
}

export function statPanel(p: StatOptions): stat.PanelBuilder {
  return base(new stat.PanelBuilder(), p)
    .reduceOptions(LAST())
    .colorMode(p.colorMode ?? common.BigValueColorMode.Value)
    .textMode(p.textMode ?? common.BigValueTextMode.Auto)
    .graphMode(p.graph ? common.BigValueGraphMode.Area : common.BigValueGraphMode.None);
}

export function gaugePanel(p: PanelBase): gauge.PanelBuilder {
  return base(new gauge.PanelBuilder(), p).reduceOptions(LAST()).showThresholdMarkers(true).showThresholdLabels(false);
}

export function barGaugePanel(p: PanelBase): bargauge.PanelBuilder {
  return base(new bargauge.PanelBuilder(), p)
    .reduceOptions(LAST())
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Basic)
    .showUnfilled(true);
}

export interface TimeseriesOptions extends PanelBase {
  stack?: boolean;
}

export function timeseriesPanel(p: TimeseriesOptions): timeseries.PanelBuilder {
  const builder = base(new timeseries.PanelBuilder(), p)
    .lineWidth(1)
    .fillOpacity(p.stack ? 60 : 10)
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(false)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.Table)
        .placement(common.LegendPlacement.Right)
        .calcs(['lastNotNull', 'max']),
    );
  if (p.stack) builder.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  return builder;
}

/** One column of a table that joins several instant queries on their labels. */
export interface Column {
  /** Header of the query's value column (`Value #A` renamed). */
  name: string;
  unit: string;
  decimals?: number;
  cell?: common.TableCellOptions;
  mappings?: dashboard.ValueMapping[];
  thresholds?: dashboard.Threshold[];
  min?: number;
  max?: number;
  /** Joined for its labels only (e.g. an `_info` series): its value column is not shown. */
  hidden?: boolean;
}

export interface TableOptions extends Omit<PanelBase, 'queries'> {
  /** One instant table query per value column, joined on their common labels. */
  columns: Array<Column & { expr: string }>;
  /** Label columns to show, in order; every other label is hidden. */
  labels: Array<{ label: string; name: string; links?: Array<{ title: string; url: string }> }>;
  sortBy?: { column: string; desc: boolean };
}

/** A gauge cell: a Pulse-like bar inside a table row. */
export const GAUGE_CELL: common.TableCellOptions = {
  type: common.TableCellDisplayMode.Gauge,
  mode: common.BarGaugeDisplayMode.Basic,
  valueDisplayMode: common.BarGaugeValueMode.Text,
};

/** Colours the whole row with the status colour: a lost server's row turns grey, as in Pulse. */
export const STATUS_ROW_CELL: common.TableCellOptions = {
  type: common.TableCellDisplayMode.ColorBackground,
  mode: common.TableCellBackgroundDisplayMode.Basic,
  applyToRow: true,
};

export function tablePanel(p: TableOptions): table.PanelBuilder {
  const queries = p.columns.map((c) => ({ expr: c.expr, table: true }));
  const builder = base(new table.PanelBuilder(), { ...p, queries }).cellHeight(common.TableCellHeight.Sm);
  const rename: Record<string, string> = {};
  const index: Record<string, number> = {};
  p.labels.forEach((l, i) => {
    rename[l.label] = l.name;
    index[l.label] = i;
  });
  p.columns.forEach((c, i) => {
    if (c.hidden) return;
    const value = `Value #${refId(i)}`;
    rename[value] = c.name;
    index[value] = p.labels.length + i;
  });
  builder.withTransformation({ id: 'merge', options: {} });
  builder.withTransformation({
    id: 'organize',
    options: {
      // Show only the listed labels: a new label on a series must not silently widen the table.
      excludeByName: {},
      includeByName: Object.fromEntries(Object.keys(rename).map((k) => [k, true])),
      indexByName: index,
      renameByName: rename,
    },
  });
  for (const c of p.columns) {
    if (c.hidden) continue;
    const props: dashboard.DynamicConfigValue[] = [{ id: 'unit', value: c.unit }];
    if (c.decimals !== undefined) props.push({ id: 'decimals', value: c.decimals });
    if (c.cell) props.push({ id: 'custom.cellOptions', value: c.cell });
    if (c.mappings) props.push({ id: 'mappings', value: c.mappings });
    if (c.thresholds) props.push({ id: 'thresholds', value: { mode: dashboard.ThresholdsMode.Absolute, steps: c.thresholds } });
    if (c.min !== undefined) props.push({ id: 'min', value: c.min });
    if (c.max !== undefined) props.push({ id: 'max', value: c.max });
    builder.overrideByName(c.name, props);
  }
  for (const l of p.labels) {
    if (l.links) builder.overrideByName(l.name, [{ id: 'links', value: l.links }]);
  }
  if (p.sortBy) builder.sortBy([new common.TableSortByFieldStateBuilder().displayName(p.sortBy.column).desc(p.sortBy.desc)]);
  return builder;
}

export function row(title: string, repeat?: string): dashboard.RowBuilder {
  const builder = new dashboard.RowBuilder(title).collapsed(false);
  if (repeat) builder.repeat(repeat);
  return builder;
}

/**
 * Grafana's built-in "Annotations & Alerts" entry. Dashboards saved by Grafana always carry it; without an
 * `annotations.list`, some Grafana versions fail to load a provisioned dashboard.
 */
export function builtInAnnotations(): dashboard.AnnotationQueryBuilder {
  return new dashboard.AnnotationQueryBuilder()
    .name('Annotations & Alerts')
    .datasource({ type: 'grafana', uid: '-- Grafana --' })
    .builtIn(1)
    .enable(true)
    .hide(true)
    .iconColor('rgba(0, 211, 255, 1)')
    .type('dashboard');
}

/** The `datasource` variable, preset to the provisioned Prometheus. */
export function datasourceVariable(): dashboard.DatasourceVariableBuilder {
  return new dashboard.DatasourceVariableBuilder('datasource')
    .label('Data source')
    .type('prometheus')
    .current({ selected: true, text: 'Prometheus', value: 'pulse-prometheus' });
}

export interface LabelVariable {
  name: string;
  label: string;
  /** `label_values(<metric selector>, <label>)` */
  metric: string;
  multi: boolean;
}

/** A `label_values` variable, refreshed whenever the time range changes (refresh 2). */
export function labelVariable(v: LabelVariable): dashboard.QueryVariableBuilder {
  const query = `label_values(${v.metric}, ${v.name})`;
  const builder = new dashboard.QueryVariableBuilder(v.name)
    .label(v.label)
    .datasource(DATASOURCE)
    .query({ qryType: 1, query, refId: 'PrometheusVariableQueryEditor-VariableQuery' })
    .definition(query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(v.multi)
    .includeAll(v.multi);
  // `.*` keeps lost servers and apps with no series in the current range selectable through "All".
  if (v.multi) builder.allValue('.*').current({ selected: true, text: ['All'], value: ['$__all'] });
  return builder;
}
