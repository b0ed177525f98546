import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { M } from './metrics.js';
import { builtInAnnotations, datasourceVariable, labelVariable } from './panels.js';

export interface PulseDashboard {
  uid: string;
  title: string;
  description: string;
  /** The overview takes several apps and servers (and *All*); the drill-down exactly one of each. */
  multi: boolean;
}

/**
 * What the Pulse dashboards share: time range, refresh, crosshair, and the `datasource`, `app` and `server`
 * variables. Keeping them in one place keeps the overview's links to the drill-down working: both read the
 * same variable names, and the overview lists its drill-downs by the `pulse` tag.
 */
export function pulseDashboard(d: PulseDashboard): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(d.title)
    .uid(d.uid)
    .description(d.description)
    .tags(['pulse', 'gravito'])
    .editable()
    .time({ from: 'now-1h', to: 'now' })
    .refresh('10s')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .annotation(builtInAnnotations())
    .withVariable(datasourceVariable())
    .withVariable(labelVariable({ name: 'app', label: 'App', metric: M.serverUp, multi: d.multi }))
    .withVariable(labelVariable({ name: 'server', label: 'Server', metric: `${M.serverUp}{app=~"$app"}`, multi: d.multi }));
}
