import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { OVERVIEW_UID, overviewDashboard, SERVER_UID } from './overview.js';
import { serverDashboard } from './server.js';

export { M } from './metrics.js';
export { OVERVIEW_UID, SERVER_UID } from './overview.js';

export interface RenderedDashboard {
  uid: string;
  /** Path under `grafana/dashboards/`, also the provisioned file name. */
  file: string;
  json: string;
}

/** The foundation SDK leaves panel ids unset; Grafana needs them unique and stable (links and state use them). */
function numberPanels(model: dashboard.Dashboard): dashboard.Dashboard {
  let id = 1;
  for (const panel of model.panels ?? []) {
    panel.id = id++;
    if (panel.type === 'row') for (const inner of (panel as dashboard.RowPanel).panels) inner.id = id++;
  }
  return model;
}

export function renderDashboards(): RenderedDashboard[] {
  return [
    { uid: OVERVIEW_UID, model: overviewDashboard().build() },
    { uid: SERVER_UID, model: serverDashboard().build() },
  ].map(({ uid, model }) => ({ uid, file: `pulse/${uid}.json`, json: `${JSON.stringify(numberPanels(model), null, 2)}\n` }));
}
