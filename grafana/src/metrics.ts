/**
 * The bridge's `/metrics` names, from the one module that defines them (the bridge registers its metrics from
 * the same definitions). Dashboards and rules use these constants only, so that a renamed series is one edit
 * there and one failing test here, not a silently empty panel.
 */
export { METRIC_NAMES as M } from '@gravito/pulse-bridge/metric-names';

/** Selectors filtered by the dashboard variables. */
export const APP = 'app=~"$app"';
export const SERVER = 'app=~"$app", server=~"$server"';

/** `metric{selector}` */
export function sel(metric: string, selector: string): string {
  return `${metric}{${selector}}`;
}

/** Used share of a free/total pair, 0–1. */
export function usedRatio(free: string, total: string, selector: string): string {
  return `1 - ${sel(free, selector)} / ${sel(total, selector)}`;
}
