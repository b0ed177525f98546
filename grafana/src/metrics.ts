/**
 * The bridge's `/metrics` names (ISSUE-4 contract). Dashboards and rules use these constants only, so that a
 * renamed series is one edit here and one failing end-to-end test, not a silently empty panel.
 */
export const M = {
  serverUp: 'pulse_server_up',
  lastHeartbeat: 'pulse_server_last_heartbeat_timestamp_seconds',
  serverInfo: 'pulse_server_info',
  cpu: 'pulse_server_cpu_ratio',
  memTotal: 'pulse_server_memory_total_bytes',
  memFree: 'pulse_server_memory_free_bytes',
  load1: 'pulse_server_load1',
  load5: 'pulse_server_load5',
  load15: 'pulse_server_load15',
  diskTotal: 'pulse_server_disk_total_bytes',
  diskFree: 'pulse_server_disk_free_bytes',
  procCpu: 'pulse_process_cpu_ratio',
  procRss: 'pulse_process_resident_memory_bytes',
  procHeap: 'pulse_process_heap_used_bytes',
  procUptime: 'pulse_process_uptime_seconds',
  procPid: 'pulse_process_pid',
  health: 'pulse_app_health_score',
  appServers: 'pulse_app_servers',
  slowTotal: 'pulse_slow_entries_total',
  slowDuration: 'pulse_slow_entry_duration_seconds',
  slowRouteMax: 'pulse_slow_route_max_duration_seconds',
  exceptionsTotal: 'pulse_exceptions_total',
  redisUp: 'pulse_bridge_redis_up',
  invalidHeartbeats: 'pulse_bridge_invalid_heartbeats_total',
  sseClients: 'pulse_bridge_sse_clients',
} as const;

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
