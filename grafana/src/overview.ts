import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { COLUMNS, cpuGauge, cpuOverTime, diskBars, HOST_MEMORY_USED, loadCard, ramGauge, statusCard, uptimeCard } from './cards.js';
import { APP, M, SERVER, sel } from './metrics.js';
import { GAUGE_CELL, LOST_GREY, pressure, row, statPanel, tablePanel, timeseriesPanel } from './panels.js';
import { pulseDashboard } from './pulse-dashboard.js';

export const OVERVIEW_UID = 'pulse-overview';
export const SERVER_UID = 'pulse-server';

/** Shown in every top-N table title, and used in the queries. */
const TOP_N = 10;

const DRILL_DOWN = {
  title: 'Open this server',
  url: `/d/${SERVER_UID}/pulse-server?var-datasource=\${datasource}&var-app=\${__data.fields.app}&var-server=\${__data.fields.server}&\${__url_time_range}`,
};

/** The first label columns of every one-line-per-server table; the server name opens its drill-down. */
const APP_AND_SERVER = [
  { label: 'app', name: 'App' },
  { label: 'server', name: 'Server', links: [DRILL_DOWN] },
];

function appHealthRow(d: dashboard.DashboardBuilder): void {
  d.withRow(row('App health'));
  d.withPanel(
    statPanel({
      title: 'Health score',
      description:
        "The bridge's 0–100 score per app: it drops with lost servers, CPU/memory/disk pressure and slow/error rates (formula in bridge/README.md).",
      unit: 'none',
      min: 0,
      max: 100,
      decimals: 0,
      thresholds: [
        { value: null, color: 'red' },
        { value: 50, color: 'orange' },
        { value: 80, color: 'green' },
      ],
      colorMode: common.BigValueColorMode.Background,
      queries: [{ expr: sel(M.health, APP), legend: '{{app}}', instant: true }],
      w: 6,
      h: 4,
    }),
  );
  d.withPanel(
    statPanel({
      title: 'Servers online',
      description: 'Servers whose last heartbeat is recent enough, per app.',
      unit: 'none',
      decimals: 0,
      thresholds: [{ value: null, color: 'green' }],
      queries: [{ expr: `sum by (app) (${sel(M.appServers, `${APP}, status="online"`)})`, legend: '{{app}}', instant: true }],
      w: 4,
      h: 4,
    }),
  );
  d.withPanel(
    statPanel({
      title: 'Servers lost',
      description:
        'Servers that stopped sending heartbeats and are not yet forgotten by the bridge (Pulse greys them out with a signal-slash icon).',
      unit: 'none',
      decimals: 0,
      thresholds: [
        { value: null, color: 'green' },
        { value: 1, color: LOST_GREY },
      ],
      colorMode: common.BigValueColorMode.Background,
      queries: [{ expr: `sum by (app) (${sel(M.appServers, `${APP}, status="lost"`)})`, legend: '{{app}}', instant: true }],
      w: 4,
      h: 4,
    }),
  );
  d.withPanel(
    statPanel({
      title: 'Slow entries',
      description: 'Slow entries read by the bridge over the selected time range, per app: requests, jobs, queries and outgoing requests.',
      unit: 'short',
      decimals: 0,
      thresholds: [{ value: null, color: 'orange' }],
      queries: [{ expr: `sum by (app) (increase(${sel(M.slowTotal, APP)}[$__range]))`, legend: '{{app}}', instant: true }],
      w: 4,
      h: 4,
    }),
  );
  d.withPanel(
    statPanel({
      title: 'Exceptions',
      description: 'Exceptions read by the bridge over the selected time range, per app.',
      unit: 'short',
      decimals: 0,
      thresholds: [{ value: null, color: 'red' }],
      queries: [{ expr: `sum by (app) (increase(${sel(M.exceptionsTotal, APP)}[$__range]))`, legend: '{{app}}', instant: true }],
      w: 3,
      h: 4,
    }),
  );
  d.withPanel(
    statPanel({
      title: 'Redis',
      description:
        'Whether the bridge reached Redis on its last poll (while it cannot, every figure here is the last known state), and whether Redis accepts writes: FULL means it is at maxmemory with noeviction, so every heartbeat fails and servers show as lost although they may be fine.',
      unit: 'none',
      mappings: [
        {
          type: dashboard.MappingType.ValueToText,
          options: {
            '1': { text: 'reachable', color: 'green', index: 0 },
            '0': { text: 'UNREACHABLE', color: 'red', index: 1 },
            '-1': { text: 'FULL: refuses writes', color: 'red', index: 2 },
            '-2': { text: 'UNREACHABLE', color: 'red', index: 3 },
            '11': { text: 'reachable; full? unknown', color: 'yellow', index: 4 },
            '10': { text: 'UNREACHABLE', color: 'red', index: 5 },
          },
        },
      ],
      colorMode: common.BigValueColorMode.Background,
      // 1 reachable, 0 unreachable, -1 reachable but out of memory (-2: unreachable, last seen full). Where Redis
      // refuses INFO its fullness is unknown (the gauge is NaN, which `>= 0` filters out): 11 reachable, 10 not,
      // rather than NaN on the stat.
      queries: [
        {
          expr: `(min(${M.redisUp}) - 2 * (max(${M.redisOom}) >= 0)) or (min(${M.redisUp}) + 10)`,
          legend: 'Redis',
          instant: true,
        },
      ],
      w: 3,
      h: 4,
    }),
  );
}

function serversRow(d: dashboard.DashboardBuilder): void {
  d.withRow(row('Servers'));
  d.withPanel(
    tablePanel({
      title: 'Servers',
      description:
        "Pulse's Servers card: one line per server. A lost server stays listed, greyed out and marked ⊘ LOST, until the bridge forgets it. Click a server for its drill-down.",
      unit: 'none',
      labels: APP_AND_SERVER,
      columns: [COLUMNS.status, COLUMNS.cpu, COLUMNS.memory, COLUMNS.fullestDisk, ...COLUMNS.load, COLUMNS.uptime, COLUMNS.lastHeartbeat],
      sortBy: { column: 'Server', desc: false },
      w: 24,
      h: 8,
    }),
  );

  // One row per server, repeated over the `server` variable: Pulse's per-server card, in big.
  d.withRow(row('Server $server', 'server'));
  d.withPanel(statusCard({ w: 3, h: 5 }));
  d.withPanel(cpuGauge({ w: 3, h: 5 }));
  d.withPanel(ramGauge({ w: 3, h: 5 }));
  d.withPanel(diskBars({ title: 'Disks', selector: SERVER, w: 6, h: 5 }));
  d.withPanel(loadCard({ w: 5, h: 5 }));
  d.withPanel(uptimeCard({ title: 'Uptime', w: 4, h: 5 }));
}

function processesRow(d: dashboard.DashboardBuilder): void {
  d.withRow(row('Processes'));
  d.withPanel(
    tablePanel({
      title: 'Processes',
      description:
        'The reporting process on each server: its pid, CPU (share of the whole machine), resident memory, V8 heap in use and uptime, with its runtime and version.',
      unit: 'none',
      labels: [
        ...APP_AND_SERVER,
        { label: 'runtime', name: 'Runtime' },
        { label: 'version', name: 'Version' },
        { label: 'environment', name: 'Environment' },
      ],
      columns: [
        COLUMNS.status,
        { name: 'Info', unit: 'none', expr: sel(M.serverInfo, SERVER), hidden: true },
        { name: 'PID', unit: 'none', decimals: 0, expr: sel(M.procPid, SERVER) },
        {
          name: 'Process CPU',
          unit: 'percentunit',
          expr: sel(M.procCpu, SERVER),
          cell: GAUGE_CELL,
          min: 0,
          max: 1,
          thresholds: pressure(0.5, 0.8),
        },
        { name: 'RSS', unit: 'bytes', expr: sel(M.procRss, SERVER) },
        { name: 'Heap used', unit: 'bytes', expr: sel(M.procHeap, SERVER) },
        COLUMNS.uptime,
      ],
      sortBy: { column: 'Process CPU', desc: true },
      w: 24,
      h: 7,
    }),
  );
  d.withPanel(
    tablePanel({
      title: 'Process list',
      description:
        "Pulse's ProcessList card: every process of each server, the reporting one (kind main) and the worker processes it reports (cluster workers, child processes), with CPU (share of the whole machine) and resident memory. A cluster worker that runs Pulse itself is also a server of its own.",
      unit: 'none',
      labels: [...APP_AND_SERVER, { label: 'pid', name: 'PID' }, { label: 'name', name: 'Command' }, { label: 'kind', name: 'Kind' }],
      columns: [
        {
          name: 'CPU',
          unit: 'percentunit',
          expr: sel(M.serverProcessCpu, SERVER),
          cell: GAUGE_CELL,
          min: 0,
          max: 1,
          thresholds: pressure(0.5, 0.8),
        },
        { name: 'RSS', unit: 'bytes', expr: sel(M.serverProcessRss, SERVER) },
      ],
      sortBy: { column: 'CPU', desc: true },
      w: 24,
      h: 8,
    }),
  );
}

/** Slow entries of some kinds: `kind` matcher for the selectors, e.g. `kind="query"`. */
interface SlowTop {
  title: string;
  description: string;
  kinds: string;
  /** The label columns after App: the names the route label takes for these kinds. */
  labels: Array<{ label: string; name: string }>;
  w: number;
}

/**
 * Pulse's Slow Requests, Slow Queries and Slow Outgoing Requests cards: the top routes (or names) by count over
 * the range, with the slowest entry of each. The bridge keeps each name's slowest entry in a gauge for 60 s after
 * reading it, so the highest sample of the range is the slowest entry of the range. Only the top names by count
 * are kept, so the two columns join row for row on (app, kind, method, route).
 */
function slowTopTable({ title, description, kinds, labels, w }: SlowTop) {
  const selector = `${APP}, ${kinds}`;
  const top = `topk(${TOP_N}, sum by (app, kind, method, route) (increase(${sel(M.slowTotal, selector)}[$__range])))`;
  const slowest = `max by (app, kind, method, route) (max_over_time(${sel(M.slowRouteMax, selector)}[$__range])) and on (app, kind, method, route) ${top}`;
  return tablePanel({
    title: `${title}: top ${TOP_N}`,
    description,
    unit: 'short',
    labels: [{ label: 'app', name: 'App' }, ...labels],
    columns: [
      { name: 'Count', unit: 'short', decimals: 0, expr: top },
      { name: 'Slowest', unit: 's', expr: slowest },
    ],
    sortBy: { column: 'Count', desc: true },
    w,
    h: 8,
  });
}

function slowRow(d: dashboard.DashboardBuilder): void {
  d.withRow(row('Slow requests'));
  d.withPanel(
    slowTopTable({
      title: 'Slow requests and jobs',
      description: `Pulse's Slow Requests card: the ${TOP_N} routes (or job names) with the most slow entries over the selected range, with the slowest entry of each over the range. Queries and outgoing requests have their own tables.`,
      // `other` too: a kind a newer SDK added, which this bridge reads as other.
      kinds: 'kind!~"query|outgoing"',
      labels: [
        { label: 'kind', name: 'Kind' },
        { label: 'method', name: 'Method' },
        { label: 'route', name: 'Route' },
      ],
      w: 14,
    }),
  );
  // The duration histogram is labelled by app and kind only (routes would multiply its buckets): it gives the
  // p95 and the mean; the exact slowest comes from the per-route gauge.
  const buckets = `sum by (app, kind, le) (increase(${sel(`${M.slowDuration}_bucket`, APP)}[$__range]))`;
  d.withPanel(
    tablePanel({
      title: 'Slow entry durations',
      description: 'Per app and kind over the range: the slowest slow entry, the 95th percentile and the mean duration of slow entries.',
      unit: 's',
      labels: [
        { label: 'app', name: 'App' },
        { label: 'kind', name: 'Kind' },
      ],
      columns: [
        { name: 'Slowest', unit: 's', expr: `max by (app, kind) (max_over_time(${sel(M.slowRouteMax, APP)}[$__range]))` },
        { name: 'p95', unit: 's', expr: `histogram_quantile(0.95, ${buckets})` },
        {
          name: 'Mean',
          unit: 's',
          expr: `sum by (app, kind) (increase(${sel(`${M.slowDuration}_sum`, APP)}[$__range])) / sum by (app, kind) (increase(${sel(`${M.slowDuration}_count`, APP)}[$__range]))`,
        },
      ],
      w: 10,
      h: 8,
    }),
  );
}

function slowClientsRow(d: dashboard.DashboardBuilder): void {
  d.withRow(row('Slow queries and outgoing requests'));
  d.withPanel(
    slowTopTable({
      title: 'Slow queries',
      description: `Pulse's Slow Queries card: the ${TOP_N} database and cache statements with the most slow entries over the selected range, with the slowest of each. Statements are normalized by the SDK: literals are ?, so no value of the app's data is shown.`,
      kinds: 'kind="query"',
      labels: [{ label: 'route', name: 'Query' }],
      w: 12,
    }),
  );
  d.withPanel(
    slowTopTable({
      title: 'Slow outgoing requests',
      description: `Pulse's Slow Outgoing Requests card: the ${TOP_N} outgoing HTTP requests (METHOD host/path, ids collapsed to :id) with the most slow entries over the selected range, with the slowest of each.`,
      kinds: 'kind="outgoing"',
      labels: [{ label: 'route', name: 'Request' }],
      w: 12,
    }),
  );
}

function exceptionsRow(d: dashboard.DashboardBuilder): void {
  d.withRow(row('Exceptions'));
  const increased = `increase(${sel(M.exceptionsTotal, APP)}[$__rate_interval])`;
  d.withPanel(
    tablePanel({
      title: 'Exceptions',
      description:
        "Pulse's Exceptions card: exception types with their count over the selected range and when the latest one happened (to the nearest dashboard interval).",
      unit: 'short',
      labels: [
        { label: 'app', name: 'App' },
        { label: 'type', name: 'Type' },
      ],
      columns: [
        { name: 'Count', unit: 'short', decimals: 0, expr: `sum by (app, type) (increase(${sel(M.exceptionsTotal, APP)}[$__range]))` },
        // The latest step at which the counter rose: a subquery over the range, stepping by the interval.
        {
          name: 'Latest',
          unit: 'dateTimeFromNow',
          expr: `max by (app, type) (max_over_time(timestamp(${increased} > 0)[$__range:$__interval])) * 1000`,
        },
      ],
      sortBy: { column: 'Count', desc: true },
      w: 12,
      h: 8,
    }),
  );
  d.withPanel(
    timeseriesPanel({
      title: 'Exceptions per second by type',
      description: 'Rate of exceptions read by the bridge, per exception type.',
      unit: 'cps',
      min: 0,
      stack: true,
      queries: [{ expr: `sum by (app, type) (rate(${sel(M.exceptionsTotal, APP)}[$__rate_interval]))`, legend: '{{app}} {{type}}' }],
      w: 12,
      h: 8,
    }),
  );
}

/** Queues that Zenith's agents (Quasar, Laravel) watch: the bridge reads them from gravito:quasar:node:*. */
function queuesRow(d: dashboard.DashboardBuilder): void {
  d.withRow(row('Queues'));
  const jobs = (state: string) => `sum by (app, queue, driver) (${sel(M.queueJobs, `${APP}, state="${state}"`)})`;
  const perSecond = (direction: string) => `sum by (app, queue, driver) (${sel(M.queueThroughput, `${APP}, direction="${direction}"`)})`;
  d.withPanel(
    tablePanel({
      title: 'Queues',
      description:
        "Queues watched by Zenith's agents (Quasar for Node and Bun, the Laravel agent): jobs by state, and jobs pushed and done per second as the agent reports them (agents without throughput leave those empty).",
      unit: 'none',
      labels: [
        { label: 'app', name: 'App' },
        { label: 'queue', name: 'Queue' },
        { label: 'driver', name: 'Driver' },
      ],
      columns: [
        { name: 'Waiting', unit: 'short', decimals: 0, expr: jobs('waiting') },
        { name: 'Active', unit: 'short', decimals: 0, expr: jobs('active') },
        { name: 'Delayed', unit: 'short', decimals: 0, expr: jobs('delayed') },
        {
          name: 'Failed',
          unit: 'short',
          decimals: 0,
          expr: jobs('failed'),
          thresholds: [
            { value: null, color: 'green' },
            { value: 1, color: 'red' },
          ],
        },
        { name: 'In /s', unit: 'short', expr: perSecond('in') },
        { name: 'Out /s', unit: 'short', expr: perSecond('out') },
      ],
      sortBy: { column: 'Waiting', desc: true },
      w: 12,
      h: 8,
    }),
  );
  d.withPanel(
    timeseriesPanel({
      title: 'Queue backlog',
      description: 'Jobs waiting per queue over time.',
      unit: 'short',
      min: 0,
      queries: [{ expr: jobs('waiting'), legend: '{{app}} {{queue}}' }],
      w: 12,
      h: 8,
    }),
  );
}

function trendsRow(d: dashboard.DashboardBuilder): void {
  d.withRow(row('Trends'));
  d.withPanel(cpuOverTime({ title: 'CPU per server', legend: '{{app}} / {{server}}', w: 12, h: 8 }));
  d.withPanel(
    timeseriesPanel({
      title: 'Memory per server',
      description: 'Host memory in use over time, per server.',
      unit: 'percentunit',
      min: 0,
      max: 1,
      queries: [{ expr: HOST_MEMORY_USED, legend: '{{app}} / {{server}}' }],
      w: 12,
      h: 8,
    }),
  );
  d.withPanel(
    timeseriesPanel({
      title: 'Slow entries per second',
      description: 'Rate of slow entries (requests, jobs, queries, outgoing requests), per app and kind.',
      unit: 'cps',
      min: 0,
      queries: [{ expr: `sum by (app, kind) (rate(${sel(M.slowTotal, APP)}[$__rate_interval]))`, legend: '{{app}} {{kind}}' }],
      w: 12,
      h: 8,
    }),
  );
  d.withPanel(
    timeseriesPanel({
      title: 'Health score',
      description: "The bridge's app health score over time.",
      unit: 'none',
      min: 0,
      max: 100,
      queries: [{ expr: sel(M.health, APP), legend: '{{app}}' }],
      w: 12,
      h: 8,
    }),
  );
}

export function overviewDashboard(): dashboard.DashboardBuilder {
  const d = pulseDashboard({
    uid: OVERVIEW_UID,
    title: 'Pulse Overview',
    description:
      'The Laravel-Pulse card grid for Gravito Pulse: app health, servers, processes, slow requests, slow queries and outgoing requests, exceptions, queues and trends.',
    multi: true,
  }).link(
    new dashboard.DashboardLinkBuilder('Server drill-down')
      .type(dashboard.DashboardLinkType.Dashboards)
      .tags(['pulse'])
      .asDropdown(false)
      .includeVars(true)
      .keepTime(true),
  );
  appHealthRow(d);
  serversRow(d);
  processesRow(d);
  slowRow(d);
  slowClientsRow(d);
  exceptionsRow(d);
  queuesRow(d);
  trendsRow(d);
  return d;
}
