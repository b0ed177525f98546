import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { cpuGauge, cpuOverTime, diskBars, lastHeartbeatCard, loadOverTime, ramGauge, statusCard, uptimeCard } from './cards.js';
import { APP, M, SERVER, sel } from './metrics.js';
import { OVERVIEW_UID, SERVER_UID } from './overview.js';
import { labelVariable, row, tablePanel, timeseriesPanel } from './panels.js';
import { pulseDashboard } from './pulse-dashboard.js';

const MOUNT = `${SERVER}, mount=~"$mount"`;

function statusRow(d: dashboard.DashboardBuilder): void {
  d.withRow(row('Status'));
  d.withPanel(statusCard({ w: 4, h: 4 }));
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
  d.withPanel(lastHeartbeatCard({ w: 5, h: 4 }));
  d.withPanel(uptimeCard({ title: 'Process uptime', w: 5, h: 4 }));
}

function hostRow(d: dashboard.DashboardBuilder): void {
  d.withRow(row('Host'));
  d.withPanel(cpuGauge({ w: 4, h: 6 }));
  d.withPanel(ramGauge({ w: 4, h: 6 }));
  d.withPanel(cpuOverTime({ title: 'CPU', legend: 'CPU', w: 8, h: 6 }));
  d.withPanel(loadOverTime({ w: 8, h: 6 }));
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
  d.withPanel(diskBars({ title: 'Disk used per mount', selector: MOUNT, w: 8, h: 6 }));
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
      description: "Rate of slow entries of this server's app, per route (or job name, query statement, outgoing request).",
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
  const d = pulseDashboard({
    uid: SERVER_UID,
    title: 'Pulse Server',
    description:
      'One server of a Pulse app in detail: status, host CPU, memory, load and disks, the reporting process, and its app activity.',
    multi: false,
  })
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
