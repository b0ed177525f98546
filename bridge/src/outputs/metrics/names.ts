/**
 * The bridge's `/metrics` contract, defined once: every `pulse_*` family the bridge exposes, with its type, help
 * text and label names. The bridge registers its metrics from these definitions, and the Grafana dashboards and
 * Prometheus alert rules (`@gravito/pulse-grafana`) take their names from here, so a renamed series is one edit
 * here and a failing test, not a silently empty panel. This file imports nothing: it is published on its own as
 * `@gravito/pulse-bridge/metric-names`.
 *
 * A new metric is added here first (see bridge/README.md, "Metrics").
 */
export interface MetricDefinition {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly help: string;
  readonly labelNames: readonly string[];
}

const SERVER = ['app', 'server'] as const;
/** One process of a server: the reporting one (`kind="main"`) or one of its workers (`cluster`, `child`, `queue`). */
const PROCESS = ['app', 'server', 'hostname', 'pid', 'name', 'kind'] as const;
const ROUTE = ['app', 'kind', 'method', 'route'] as const;

export const PULSE_METRICS = {
  // Per server, from the last heartbeat (rendered from the snapshot, see snapshot-families.ts).
  serverUp: {
    name: 'pulse_server_up',
    type: 'gauge',
    help: 'Whether the server is online (1) or lost (0); lost servers are kept until forgotten, stopped servers (graceful shutdown) have no series',
    labelNames: SERVER,
  },
  lastHeartbeat: {
    name: 'pulse_server_last_heartbeat_timestamp_seconds',
    type: 'gauge',
    help: 'Time of the last heartbeat, Unix seconds',
    labelNames: SERVER,
  },
  serverInfo: {
    name: 'pulse_server_info',
    type: 'gauge',
    help: 'Server identity, always 1; source is gpp (a Pulse SDK) or quasar (a Zenith agent)',
    labelNames: [...SERVER, 'hostname', 'platform', 'runtime', 'environment', 'version', 'source'],
  },
  cpu: { name: 'pulse_server_cpu_ratio', type: 'gauge', help: 'Host CPU busy, 0 to 1', labelNames: SERVER },
  memTotal: { name: 'pulse_server_memory_total_bytes', type: 'gauge', help: 'Host memory, bytes', labelNames: SERVER },
  memFree: { name: 'pulse_server_memory_free_bytes', type: 'gauge', help: 'Host memory available, bytes', labelNames: SERVER },
  load1: { name: 'pulse_server_load1', type: 'gauge', help: 'Host load average over 1 minute', labelNames: SERVER },
  load5: { name: 'pulse_server_load5', type: 'gauge', help: 'Host load average over 5 minutes', labelNames: SERVER },
  load15: { name: 'pulse_server_load15', type: 'gauge', help: 'Host load average over 15 minutes', labelNames: SERVER },
  diskTotal: { name: 'pulse_server_disk_total_bytes', type: 'gauge', help: 'Filesystem size, bytes', labelNames: [...SERVER, 'mount'] },
  diskFree: {
    name: 'pulse_server_disk_free_bytes',
    type: 'gauge',
    help: 'Filesystem space available, bytes',
    labelNames: [...SERVER, 'mount'],
  },
  procCpu: {
    name: 'pulse_process_cpu_ratio',
    type: 'gauge',
    help: 'Reporting process CPU as a share of the whole machine, 0 to 1',
    labelNames: SERVER,
  },
  procRss: {
    name: 'pulse_process_resident_memory_bytes',
    type: 'gauge',
    help: 'Reporting process resident memory, bytes',
    labelNames: SERVER,
  },
  procHeap: { name: 'pulse_process_heap_used_bytes', type: 'gauge', help: 'Reporting process heap in use, bytes', labelNames: SERVER },
  procUptime: { name: 'pulse_process_uptime_seconds', type: 'gauge', help: 'Reporting process uptime, seconds', labelNames: SERVER },
  procPid: {
    name: 'pulse_process_pid',
    type: 'gauge',
    help: 'Reporting process id, for the Processes card (changes when the process restarts)',
    labelNames: SERVER,
  },
  agentStatus: {
    name: 'pulse_server_agent_status',
    type: 'gauge',
    help: "The status the server's own agent reports (a Zenith agent's runtime.status): 1 for it, 0 for the other two of online, degraded, error; no series when it reports none",
    labelNames: [...SERVER, 'status'],
  },
  agentErrors: {
    name: 'pulse_server_agent_errors',
    type: 'gauge',
    help: "Faults the server's own agent reports with its status (a Zenith agent's runtime.errors); no series when it reports no status",
    labelNames: SERVER,
  },

  // Per process of a server, for the ProcessList card: the reporting process and the heartbeat's `processes`.
  serverProcessCpu: {
    name: 'pulse_server_process_cpu_ratio',
    type: 'gauge',
    help: 'CPU of each process of the server (the reporting one, kind="main", and its workers) as a share of the whole machine, 0 to 1',
    labelNames: PROCESS,
  },
  serverProcessRss: {
    name: 'pulse_server_process_resident_memory_bytes',
    type: 'gauge',
    help: 'Resident memory of each process of the server (the reporting one, kind="main", and its workers), bytes',
    labelNames: PROCESS,
  },

  // Per app.
  health: {
    name: 'pulse_app_health_score',
    type: 'gauge',
    help: 'App health score, 0 to 100 (formula in the bridge README)',
    labelNames: ['app'],
  },
  appServers: {
    name: 'pulse_app_servers',
    type: 'gauge',
    help: 'Servers of an app by status: online, lost, stopped',
    labelNames: ['app', 'status'],
  },
  slowTotal: {
    name: 'pulse_slow_entries_total',
    type: 'counter',
    help: 'Slow requests, jobs, queries and outgoing requests read from the apps slow streams',
    labelNames: ROUTE,
  },
  slowDuration: {
    name: 'pulse_slow_entry_duration_seconds',
    type: 'histogram',
    help: 'Duration of the slow entries read, seconds',
    labelNames: ['app', 'kind'],
  },
  slowRouteMax: {
    name: 'pulse_slow_route_max_duration_seconds',
    type: 'gauge',
    // The window length is part of the help text; SLOW_ROUTE_WINDOW_MS (window-max.ts) must say the same.
    help: 'Slowest slow entry read per route (or job, query or outgoing request name) in the last 60 s, seconds; max_over_time gives the slowest over a range',
    labelNames: ROUTE,
  },
  exceptionsTotal: {
    name: 'pulse_exceptions_total',
    type: 'counter',
    help: 'Exceptions read from the apps exception sets',
    labelNames: ['app', 'type'],
  },

  // Queues watched by Zenith's agents (read from gravito:quasar:node:*, see bridge/src/sources/quasar/).
  queueJobs: {
    name: 'pulse_queue_jobs',
    type: 'gauge',
    help: 'Jobs in a queue watched by a Zenith agent (Quasar, Laravel), by state',
    labelNames: ['app', 'queue', 'driver', 'state'],
  },
  queueThroughput: {
    name: 'pulse_queue_throughput_jobs_per_second',
    type: 'gauge',
    help: 'Jobs pushed (in) and done (out) per second, as a Zenith agent reports them',
    labelNames: ['app', 'queue', 'driver', 'direction'],
  },

  // The bridge itself.
  redisUp: {
    name: 'pulse_bridge_redis_up',
    type: 'gauge',
    help: 'Whether Redis answered the last poll or, when the poll failed, a PING',
    labelNames: [],
  },
  invalidHeartbeats: {
    name: 'pulse_bridge_invalid_heartbeats_total',
    type: 'counter',
    help: 'Heartbeat values or keys skipped as invalid',
    labelNames: [],
  },
  invalidEntries: {
    name: 'pulse_bridge_invalid_entries_total',
    type: 'counter',
    help: 'Slow or error entries skipped as invalid',
    labelNames: ['kind'],
  },
  slowRepeats: {
    name: 'pulse_bridge_slow_repeats_total',
    type: 'counter',
    help: "Slow entries dropped as a writer's repeat of one already read (a retried write that had landed)",
    labelNames: [],
  },
  authFailures: {
    name: 'pulse_bridge_auth_failures_total',
    type: 'counter',
    help: 'Requests refused by the token check: no token (missing) or a wrong one (wrong; untracked when the client table was full), 401; a client made to wait, its token not checked (throttled), 429',
    labelNames: ['result'],
  },
  sseClients: { name: 'pulse_bridge_sse_clients', type: 'gauge', help: 'Connected SSE clients', labelNames: [] },
  sseSlowClientsDropped: {
    name: 'pulse_bridge_sse_slow_clients_dropped_total',
    type: 'counter',
    help: 'SSE clients disconnected because their unsent buffer passed the cap',
    labelNames: [],
  },
  sseRejected: {
    name: 'pulse_bridge_sse_rejected_clients_total',
    type: 'counter',
    help: 'SSE connections answered 503 at the client cap',
    labelNames: [],
  },
  sseEventsDropped: {
    name: 'pulse_bridge_sse_dropped_events_total',
    type: 'counter',
    help: 'Slow and error events not streamed because the SSE queue was full',
    labelNames: [],
  },
  processesLeftOut: {
    name: 'pulse_bridge_processes_left_out',
    type: 'gauge',
    help: 'Worker processes of the last snapshot not exposed because their server listed more than the per-server cap',
    labelNames: [],
  },
  labelOverflow: {
    name: 'pulse_bridge_label_overflow_total',
    type: 'counter',
    help: 'Label values folded into "other" by a per-app cap',
    labelNames: ['label'],
  },
  redisOom: {
    name: 'pulse_bridge_redis_oom',
    type: 'gauge',
    help: 'Whether Redis refuses writes (at maxmemory with noeviction): SDK heartbeats fail, so servers show as lost; NaN while unknown (not read yet, or Redis refuses INFO)',
    labelNames: [],
  },
  redisMemoryUsed: {
    name: 'pulse_bridge_redis_memory_used_bytes',
    type: 'gauge',
    help: 'Redis used_memory (INFO memory), bytes; NaN while unknown',
    labelNames: [],
  },
  redisMemoryMax: {
    name: 'pulse_bridge_redis_memory_max_bytes',
    type: 'gauge',
    help: 'Redis maxmemory (INFO memory), bytes; 0 is no limit, NaN unknown',
    labelNames: [],
  },
  capReached: {
    name: 'pulse_bridge_cap_reached_total',
    type: 'counter',
    help: 'Data left out by a cap: apps not followed per poll, exceptions past a read limit, heartbeat scans stopped at the key cap, JSON API reads refused; servers, apps with queues and queues left out of /metrics, each counted once',
    labelNames: ['cap'],
  },
  renderFailures: {
    name: 'pulse_bridge_metrics_render_failures_total',
    type: 'counter',
    help: 'Families left out of a /metrics render because rendering them failed (the rest of the scrape is served), by family',
    labelNames: ['family'],
  },
  futureTimestamps: {
    name: 'pulse_bridge_future_timestamps_total',
    type: 'counter',
    help: 'Timestamps more than 10 s ahead of the bridge clock, clamped to it',
    labelNames: ['kind'],
  },
  invalidFeeds: {
    name: 'pulse_bridge_invalid_feeds',
    type: 'gauge',
    help: 'Apps whose slow stream or exception set key holds another Redis type and cannot be read',
    labelNames: ['feed'],
  },
  redisPing: {
    name: 'pulse_bridge_redis_ping_seconds',
    type: 'gauge',
    help: "Round trip of the last PING that Redis answered, timed apart from the poll's reads (while tracking, the invalidation feed's barrier, answered after the invalidations sent before it), seconds",
    labelNames: [],
  },
  failedPolls: {
    name: 'pulse_bridge_failed_polls_total',
    type: 'counter',
    help: 'Polls that failed while Redis answered PING (the last state was kept)',
    labelNames: [],
  },
  pollDuration: {
    name: 'pulse_bridge_poll_duration_seconds',
    type: 'gauge',
    help: 'Duration of the last Redis poll that succeeded, seconds (NaN before the first)',
    labelNames: [],
  },
  lastPoll: {
    name: 'pulse_bridge_last_poll_timestamp_seconds',
    type: 'gauge',
    help: 'Time of the last poll that succeeded (when the state served was read), Unix seconds; NaN before the first',
    labelNames: [],
  },
  pollOk: {
    name: 'pulse_bridge_poll_ok',
    type: 'gauge',
    help: 'Whether the last poll of Redis succeeded (1) or failed (0, the last state served on, pulse_bridge_data_age_seconds old)',
    labelNames: [],
  },
  heartbeatReadPath: {
    name: 'pulse_bridge_heartbeat_read_path',
    type: 'gauge',
    help: 'How heartbeats are read: 1 for the path in use, 0 for the other; tracking fetches only what changed (Redis client-side tracking, on each master of a cluster), scan reads every key every poll (Redis refuses tracking, or the invalidation feed cannot be opened); NaN before the first poll',
    labelNames: ['path'],
  },
  heartbeatFullReads: {
    name: 'pulse_bridge_heartbeat_full_reads_total',
    type: 'counter',
    help: 'Reads of every heartbeat key while tracking, by why: start (tracking began, or began again once Redis allowed it), reconnect (a connection closed or the masters changed: changes may have been missed), flush (FLUSHDB or FLUSHALL), overflow (more keys changed than the feed keeps), interval (the safety read every 5 minutes), failure (a poll failed or passed its deadline), cap (changes past the most servers read)',
    labelNames: ['reason'],
  },
  dataAge: {
    name: 'pulse_bridge_data_age_seconds',
    type: 'gauge',
    help: 'Age of the state served: seconds since the last poll that succeeded read it; NaN before the first',
    labelNames: [],
  },
  quasarNodes: {
    name: 'pulse_bridge_quasar_nodes',
    type: 'gauge',
    help: 'Nodes found in gravito:quasar:node:* by the last poll: written by agents, mirrored by a Pulse bridge (skipped), or duplicates of a server already read (skipped)',
    labelNames: ['writer'],
  },
  quasarDropped: {
    name: 'pulse_bridge_quasar_dropped_total',
    type: 'counter',
    help: 'Agent node keys left out by the caps, counted once while the same keys stay left out (node: not read past the byte cap, or valid past the count or byte cap), scans stopped at the key cap (scan), reads that failed or passed their deadline, the last state kept (read), or queues not exported because their app had more than the per-app cap (queue)',
    labelNames: ['kind'],
  },
  zenithStreamClients: {
    name: 'pulse_bridge_zenith_stream_clients',
    type: 'gauge',
    help: "Clients connected to Zenith's SSE route (/api/logs/stream)",
    labelNames: [],
  },
  zenithStreamDropped: {
    name: 'pulse_bridge_zenith_stream_dropped_clients_total',
    type: 'counter',
    help: 'Zenith stream clients refused at the cap (rejected) or cut off for a full buffer (slow)',
    labelNames: ['reason'],
  },
  zenithMirrorWrites: {
    name: 'pulse_bridge_zenith_mirror_writes_total',
    type: 'counter',
    help: 'Zenith mirror writes by result: written, agent_owned (left alone), failed, over_cap, busy (poll skipped); all 0 with the mirror off',
    labelNames: ['result'],
  },
  otlpEvents: {
    name: 'pulse_bridge_otlp_events_total',
    type: 'counter',
    help: 'OTLP receiver (PULSE_OTLP=1), by signal (metrics, traces): requests accepted, partial (200 with items rejected) and refused_* by reason (not_otlp, media_type, body_bytes, attributes, spans, points, depth, busy, redis); items rejected_items, heartbeats_written, heartbeats_held (a required figure not sent yet), entries_written, invalid_payloads; servers_forgotten past the memory cap. All 0 with the receiver off',
    labelNames: ['signal', 'event'],
  },
  historyEvents: {
    name: 'pulse_bridge_history_events_total',
    type: 'counter',
    help: 'Period views (PULSE_HISTORY), by event: slow_counted and exceptions_counted (entries added to the buckets), slow_folded and exceptions_folded (past the per-bucket cap of groups, counted as other), slow_gaps (the stream rotated past the cursor), exception_gaps (the set was trimmed past the cursor), exceptions_left_out, cursor_conflicts (another bridge counted first), passes_failed, writes_failed, servers_left_out (past the cap of servers with a series), script_refused (counting goes on with WATCH and MULTI/EXEC), transactions_refused (those refused too: counting is off), commands_refused (a command the counting pass needs refused: counting is off). All 0 with history off',
    labelNames: ['event'],
  },
} as const satisfies Record<string, MetricDefinition>;

export type PulseMetricKey = keyof typeof PULSE_METRICS;

/** Just the names, for building queries: `METRIC_NAMES.serverUp === 'pulse_server_up'`. */
export const METRIC_NAMES = Object.fromEntries(Object.entries(PULSE_METRICS).map(([key, metric]) => [key, metric.name])) as {
  readonly [K in PulseMetricKey]: (typeof PULSE_METRICS)[K]['name'];
};

/**
 * The series names a family shows up under in Prometheus: a histogram's `_bucket`, `_sum` and `_count`, the
 * family name for the rest.
 */
export function seriesNames(metric: MetricDefinition): string[] {
  return metric.type === 'histogram' ? ['_bucket', '_sum', '_count'].map((suffix) => metric.name + suffix) : [metric.name];
}
