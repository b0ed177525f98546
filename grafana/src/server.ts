import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { APP, M, SERVER, sel, usedRatio } from './metrics.js';
import { OVERVIEW_UID, SERVER_UID } from './overview.js';
import {
  barGaugePanel,
  builtInAnnotations,
  datasourceVariable,
  gaugePanel,
  labelVariable,
  pressure,
  row,
  STATUS_MAPPINGS,
  statPanel,
  tablePanel,
  timeseriesPanel,
} from './panels.js';

const MOUNT = `${SERVER}, mount=~"$mount"`;

function statusRow(d: dashboard.DashboardBuilder): void {
  d.withRow(row('Status'));
  d.withPanel(
    statPanel({
      title: 'Status',
      description: 'ONLINE while heartbeats arrive; ⊘ LOST (grey) once the last heartbeat is older than the bridge lost-after delay.',
      unit: 'none',
      mappings: STATUS_MAPPINGS,
      colorMode: common.BigValueColorMode.Background,
      textMode: common.BigValueTextMode.Value,
      queries: [{ expr: sel(M.serverUp, SERVER), legend: '{{server}}', instant: true }],
      w: 4,
      h: 4,
    }),
  );
  d.withPanel(
    tablePanel({
      title: 'Identity',
      description: 'What the server reports about itself: hostname, platform, runtime, environment and app version.',
      unit: 'none',
      labels: [
        { label: 'hostname', name: 'Hostname' },
        { label: 'platform', name: 'Platform' },
        { label: 'runtime', name: 'Runtime' },
        { label: 'environment', name: 'Environment' },
        { label: 'version', name: 'Version' },
      ],
      columns: [{ name: 'Info', unit: 'none', expr: sel(M.serverInfo, SERVER), hidden: true }],
      w: 10,
      h: 4,
    }),
  );
  d.withPanel(
    statPanel({
      title: 'Last heartbeat',
      description: 'When the last heartbeat of this server was written.',
      unit: 'dateTimeFromNow',
      queries: [{ expr: `${sel(M.lastHeartbeat, SERVER)} * 1000`, legend: 'last heartbeat', instant: true }],
      w: 5,
      h: 4,
    }),
  );
  d.withPanel(
    statPanel({
      title: 'Process uptime',
      description: 'Uptime of the reporting process.',
      unit: 's',
      decimals: 0,
      queries: [{ expr: sel(M.procUptime, SERVER), legend: 'uptime', instant: true }],
      w: 5,
      h: 4,
    }),
  );
}

function hostRow(d: dashboard.DashboardBuilder): void {
  d.withRow(row('Host'));
  d.withPanel(
    gaugePanel({
      title: 'CPU',
      description: 'Host CPU busy (all cores), last value.',
      unit: 'percentunit',
      min: 0,
      max: 1,
      thresholds: pressure(0.75, 0.9),
      queries: [{ expr: sel(M.cpu, SERVER), legend: 'CPU', instant: true }],
      w: 4,
      h: 6,
    }),
  );
  d.withPanel(
    gaugePanel({
      title: 'RAM',
      description: 'Host memory in use: 1 − available / total, last value.',
      unit: 'percentunit',
      min: 0,
      max: 1,
      thresholds: pressure(0.75, 0.9),
      queries: [{ expr: usedRatio(M.memFree, M.memTotal, SERVER), legend: 'RAM', instant: true }],
      w: 4,
      h: 6,
    }),
  );
  d.withPanel(
    timeseriesPanel({
      title: 'CPU',
      description: 'Host CPU busy over time.',
      unit: 'percentunit',
      min: 0,
      max: 1,
      queries: [{ expr: sel(M.cpu, SERVER), legend: 'CPU' }],
      w: 8,
      h: 6,
    }),
  );
  d.withPanel(
    timeseriesPanel({
      title: 'Load average',
      description: 'Host load average over 1, 5 and 15 minutes.',
      unit: 'short',
      min: 0,
      queries: [
        { expr: sel(M.load1, SERVER), legend: '1m' },
        { expr: sel(M.load5, SERVER), legend: '5m' },
        { expr: sel(M.load15, SERVER), legend: '15m' },
      ],
      w: 8,
      h: 6,
    }),
  );
  d.withPanel(
    timeseriesPanel({
      title: 'Memory',
      description: 'Host memory in use and total, in bytes.',
      unit: 'bytes',
      min: 0,
      queries: [
        { expr: `${sel(M.memTotal, SERVER)} - ${sel(M.memFree, SERVER)}`, legend: 'used' },
        { expr: sel(M.memTotal, SERVER), legend: 'total' },
      ],
      w: 24,
      h: 6,
    }),
  );
}

function disksRow(d: dashboard.DashboardBuilder): void {
  d.withRow(row('Disks'));
  d.withPanel(
    barGaugePanel({
      title: 'Disk used per mount',
      description: 'Space used per mount point: 1 − free / size.',
      unit: 'percentunit',
      min: 0,
      max: 1,
      thresholds: pressure(0.8, 0.9),
      queries: [{ expr: usedRatio(M.diskFree, M.diskTotal, MOUNT), legend: '{{mount}}', instant: true }],
      w: 8,
      h: 6,
    }),
  );
  d.withPanel(
    timeseriesPanel({
      title: 'Disk free per mount',
      description: 'Space available per mount point, in bytes.',
      unit: 'bytes',
      min: 0,
      queries: [{ expr: sel(M.diskFree, MOUNT), legend: '{{mount}}' }],
      w: 16,
      h: 6,
    }),
  );
}

function processRow(d: dashboard.DashboardBuilder): void {
  d.withRow(row('Process'));
  d.withPanel(
    timeseriesPanel({
      title: 'Process CPU',
      description: 'CPU of the reporting process, as a share of the whole machine.',
      unit: 'percentunit',
      min: 0,
      queries: [{ expr: sel(M.procCpu, SERVER), legend: 'process CPU' }],
      w: 12,
      h: 6,
    }),
  );
  d.withPanel(
    timeseriesPanel({
      title: 'Process memory',
      description: 'Resident memory and V8 heap in use of the reporting process.',
      unit: 'bytes',
      min: 0,
      queries: [
        { expr: sel(M.procRss, SERVER), legend: 'RSS' },
        { expr: sel(M.procHeap, SERVER), legend: 'heap used' },
      ],
      w: 12,
      h: 6,
    }),
  );
}

function appRow(d: dashboard.DashboardBuilder): void {
  // Slow entries and exceptions are labelled per app, not per server: this row shows the server's app.
  d.withRow(row('App $app: slow entries and exceptions'));
  d.withPanel(
    timeseriesPanel({
      title: 'Slow entries per second by route',
      description: "Rate of slow requests and jobs of this server's app, per route (or job name).",
      unit: 'cps',
      min: 0,
      queries: [
        { expr: `sum by (kind, method, route) (rate(${sel(M.slowTotal, APP)}[$__rate_interval]))`, legend: '{{method}} {{route}}' },
      ],
      w: 8,
      h: 7,
    }),
  );
  d.withPanel(
    timeseriesPanel({
      title: 'Slow entry duration p95',
      description: "95th percentile duration of this app's slow entries, per kind.",
      unit: 's',
      min: 0,
      queries: [
        {
          expr: `histogram_quantile(0.95, sum by (kind, le) (rate(${sel(`${M.slowDuration}_bucket`, APP)}[$__rate_interval])))`,
          legend: '{{kind}}',
        },
      ],
      w: 8,
      h: 7,
    }),
  );
  d.withPanel(
    timeseriesPanel({
      title: 'Exceptions per second by type',
      description: "Rate of this app's exceptions, per type.",
      unit: 'cps',
      min: 0,
      queries: [{ expr: `sum by (type) (rate(${sel(M.exceptionsTotal, APP)}[$__rate_interval]))`, legend: '{{type}}' }],
      w: 8,
      h: 7,
    }),
  );
}

export function serverDashboard(): dashboard.DashboardBuilder {
  const d = new dashboard.DashboardBuilder('Pulse Server')
    .uid(SERVER_UID)
    .description(
      'One server of a Pulse app in detail: status, host CPU, memory, load and disks, the reporting process, and its app activity.',
    )
    .tags(['pulse', 'gravito'])
    .editable()
    .time({ from: 'now-1h', to: 'now' })
    .refresh('10s')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .annotation(builtInAnnotations())
    .withVariable(datasourceVariable())
    .withVariable(labelVariable({ name: 'app', label: 'App', metric: M.serverUp, multi: false }))
    .withVariable(labelVariable({ name: 'server', label: 'Server', metric: `${M.serverUp}{app=~"$app"}`, multi: false }))
    .withVariable(labelVariable({ name: 'mount', label: 'Mount', metric: `${M.diskTotal}{app=~"$app", server=~"$server"}`, multi: true }))
    .link(
      new dashboard.DashboardLinkBuilder('Pulse Overview')
        .type(dashboard.DashboardLinkType.Link)
        .url(`/d/${OVERVIEW_UID}/pulse-overview`)
        .icon('dashboard')
        .includeVars(false)
        .keepTime(true),
    );
  statusRow(d);
  hostRow(d);
  disksRow(d);
  processRow(d);
  appRow(d);
  return d;
}
