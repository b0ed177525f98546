import type * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import type * as gauge from '@grafana/grafana-foundation-sdk/gauge';
import type * as stat from '@grafana/grafana-foundation-sdk/stat';
import type * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { M, SERVER, sel, usedRatio } from './metrics.js';
import {
  barGaugePanel,
  GAUGE_CELL,
  gaugePanel,
  pressure,
  type Query,
  STATUS_MAPPINGS,
  STATUS_ROW_CELL,
  statPanel,
  TABLE_STATUS_MAPPINGS,
  type TableOptions,
  timeseriesPanel,
} from './panels.js';

/**
 * The per-server cards that both dashboards show: Pulse Overview (its repeated "Server $server" row and its
 * one-line-per-server tables) and the Pulse Server drill-down. Each reading's query, unit, scale, thresholds and
 * description are written here once, so that the two dashboards cannot drift apart (a gauge turning orange at
 * 75 % on one and at 80 % on the other). The factories take only what the layouts change: the size and, where
 * the dashboards really differ, the title, legend or selector.
 */

export interface CardSize {
  w: number;
  h: number;
}

type TableColumn = TableOptions['columns'][number];

/** A 0–1 share in the Pulse colours; red sits where the matching alert of prometheus/rules.yml fires (90 %). */
function pressureScale(warn: number) {
  return { unit: 'percentunit', min: 0, max: 1, thresholds: pressure(warn, 0.9) };
}
const HOST_SCALE = pressureScale(0.75);
const DISK_SCALE = pressureScale(0.8);

/** What several cards read, for the one server of a card. */
const SERVER_UP = sel(M.serverUp, SERVER);
const HOST_CPU = sel(M.cpu, SERVER);
export const HOST_MEMORY_USED = usedRatio(M.memFree, M.memTotal, SERVER);
// Takes a selector: the drill-down narrows the mounts with its `mount` variable.
const diskUsed = (selector: string): string => usedRatio(M.diskFree, M.diskTotal, selector);
// Grafana's date units count milliseconds; the bridge exports seconds.
const LAST_HEARTBEAT_MS = `${sel(M.lastHeartbeat, SERVER)} * 1000`;
const UPTIME = { unit: 's', decimals: 0, expr: sel(M.procUptime, SERVER) };
const LOAD_FORMAT = { unit: 'short', decimals: 2 };
const LOAD_AVERAGES = [
  { window: '1m', expr: sel(M.load1, SERVER) },
  { window: '5m', expr: sel(M.load5, SERVER) },
  { window: '15m', expr: sel(M.load15, SERVER) },
];

const LAST_READING = 'The last value reported; a lost server keeps its last reading.';
const LOAD_DESCRIPTION = 'Host load average over 1, 5 and 15 minutes (0 on platforms without load averages, such as Windows).';

function loadQueries(instant: boolean): Query[] {
  return LOAD_AVERAGES.map(({ window, expr }) => ({ expr, legend: window, instant }));
}

export function statusCard(size: CardSize): stat.PanelBuilder {
  return statPanel({
    title: 'Status',
    description: 'ONLINE while heartbeats arrive; ⊘ LOST (grey) once the last heartbeat is older than the bridge lost-after delay.',
    unit: 'none',
    mappings: STATUS_MAPPINGS,
    colorMode: common.BigValueColorMode.Background,
    textMode: common.BigValueTextMode.Value,
    queries: [{ expr: SERVER_UP, legend: '{{server}}', instant: true }],
    ...size,
  });
}

// A gauge names its series only when it shows several (Grafana hides the name of a single value), so the
// `{{server}}` legend is only seen where one server name answers for several apps.
function hostGauge(title: string, description: string, expr: string, size: CardSize): gauge.PanelBuilder {
  const queries = [{ expr, legend: '{{server}}', instant: true }];
  return gaugePanel({ title, description: `${description} ${LAST_READING}`, ...HOST_SCALE, queries, ...size });
}

export function cpuGauge(size: CardSize): gauge.PanelBuilder {
  return hostGauge('CPU', 'Host CPU busy (all cores).', HOST_CPU, size);
}

export function ramGauge(size: CardSize): gauge.PanelBuilder {
  return hostGauge('RAM', 'Host memory in use: 1 − available / total.', HOST_MEMORY_USED, size);
}

/** One bar per mount. */
export function diskBars({ title, selector, ...size }: CardSize & { title: string; selector: string }): bargauge.PanelBuilder {
  return barGaugePanel({
    title,
    description: 'Space used per mount point: 1 − free / size.',
    ...DISK_SCALE,
    queries: [{ expr: diskUsed(selector), legend: '{{mount}}', instant: true }],
    ...size,
  });
}

export function loadCard(size: CardSize): stat.PanelBuilder {
  return statPanel({
    title: 'Load',
    description: LOAD_DESCRIPTION,
    ...LOAD_FORMAT,
    textMode: common.BigValueTextMode.ValueAndName,
    queries: loadQueries(true),
    ...size,
  });
}

export function loadOverTime(size: CardSize): timeseries.PanelBuilder {
  return timeseriesPanel({
    title: 'Load average',
    description: LOAD_DESCRIPTION,
    unit: LOAD_FORMAT.unit,
    min: 0,
    queries: loadQueries(false),
    ...size,
  });
}

export function uptimeCard({ title, ...size }: CardSize & { title: string }): stat.PanelBuilder {
  return statPanel({
    title,
    description: 'Uptime of the reporting process on this server.',
    unit: UPTIME.unit,
    decimals: UPTIME.decimals,
    queries: [{ expr: UPTIME.expr, legend: 'uptime', instant: true }],
    ...size,
  });
}

export function lastHeartbeatCard(size: CardSize): stat.PanelBuilder {
  return statPanel({
    title: 'Last heartbeat',
    description: 'When the last heartbeat of this server was written.',
    unit: 'dateTimeFromNow',
    queries: [{ expr: LAST_HEARTBEAT_MS, legend: 'last heartbeat', instant: true }],
    ...size,
  });
}

/** The legend differs: the overview compares servers, the drill-down shows one. */
export function cpuOverTime({ title, legend, ...size }: CardSize & { title: string; legend: string }): timeseries.PanelBuilder {
  return timeseriesPanel({
    title,
    description: 'Host CPU busy over time.',
    unit: 'percentunit',
    min: 0,
    max: 1,
    queries: [{ expr: HOST_CPU, legend }],
    ...size,
  });
}

/** The same readings as columns of the overview's one-line-per-server tables. */
export const COLUMNS = {
  status: { name: 'Status', unit: 'none', expr: SERVER_UP, mappings: TABLE_STATUS_MAPPINGS, cell: STATUS_ROW_CELL },
  cpu: { name: 'CPU', expr: HOST_CPU, cell: GAUGE_CELL, ...HOST_SCALE },
  memory: { name: 'Memory', expr: HOST_MEMORY_USED, cell: GAUGE_CELL, ...HOST_SCALE },
  fullestDisk: { name: 'Fullest disk', expr: `max by (app, server) (${diskUsed(SERVER)})`, cell: GAUGE_CELL, ...DISK_SCALE },
  load: LOAD_AVERAGES.map(({ window, expr }) => ({ name: `Load ${window}`, ...LOAD_FORMAT, expr })),
  uptime: { name: 'Uptime', ...UPTIME },
  lastHeartbeat: { name: 'Last heartbeat', unit: 'dateTimeFromNow', expr: LAST_HEARTBEAT_MS },
} satisfies Record<string, TableColumn | TableColumn[]>;
