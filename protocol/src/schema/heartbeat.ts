import { type Static, Type } from '@sinclair/typebox';
import { TEXT_LIMITS } from '../constants.js';
import { Bytes, EpochMillis, KeyPart, Millis, Percent, Ratio, Text } from './common.js';

const closed = { additionalProperties: false } as const;

export const DiskUsage = Type.Object(
  {
    mount: Text(TEXT_LIMITS.mount, 'mount point, e.g. "/"'),
    total: Bytes(),
    free: Bytes(),
  },
  { ...closed, title: 'DiskUsage' },
);

export const EventLoopStats = Type.Object(
  {
    delay_p50_ms: Millis(),
    delay_p99_ms: Millis(),
    // Optional: a runtime that cannot measure it (Bun) leaves it out rather than sending a made-up 0.
    utilization: Type.Optional(Ratio()),
  },
  { ...closed, title: 'EventLoopStats', description: 'event-loop delay percentiles and utilization since the last heartbeat' },
);

/**
 * The runtimes a writer may name. `other` is for a runtime not listed yet; a reader also reads any unknown
 * runtime token as `other` (see `tolerateUnknownRuntime`), so that adding a runtime here never makes an older
 * reader discard a newer SDK's heartbeats.
 */
export const PulseRuntime = Type.Union(
  [
    Type.Literal('node'),
    Type.Literal('bun'),
    Type.Literal('deno'),
    Type.Literal('php'),
    Type.Literal('python'),
    Type.Literal('go'),
    // Languages of OpenTelemetry SDKs (`telemetry.sdk.language`) whose apps report through the bridge's OTLP receiver.
    Type.Literal('java'),
    Type.Literal('dotnet'),
    Type.Literal('rust'),
    Type.Literal('erlang'),
    Type.Literal('cpp'),
    Type.Literal('swift'),
    Type.Literal('other'),
  ],
  { title: 'PulseRuntime', description: 'the runtime the SDK runs on' },
);

export const RecorderStats = Type.Object(
  {
    dropped_entries: Type.Integer({
      minimum: 0,
      description: 'slow or error entries dropped by the SDK since it started (queue full, Redis down)',
    }),
    failed_writes: Type.Integer({ minimum: 0, description: 'Redis writes that failed since the SDK started' }),
    invalid_payloads: Type.Optional(
      Type.Integer({ minimum: 0, description: 'heartbeats or entries the SDK built but did not write because they failed this schema' }),
    ),
  },
  { ...closed, title: 'RecorderStats', description: 'health of the SDK itself' },
);

/**
 * `stopped` marks the last heartbeat of a graceful shutdown, so that readers tell a deploy from a crash: a stopped
 * server is not lost, does not lower the app's health, and is forgotten once its key expires. Absent means running.
 */
export const ServerState = Type.Union([Type.Literal('running'), Type.Literal('stopped')], {
  description: 'running (the default when absent), or stopped: the last heartbeat, written on a graceful shutdown',
});

/** Most errors one `reported_status` lists. */
export const MAX_REPORTED_ERRORS = 16;
/** What a writer may say of itself: Zenith's agents' `runtime.status` values, the same set. */
export const REPORTED_STATUSES = ['online', 'degraded', 'error'] as const;

/**
 * The writer's own verdict on itself, next to the reader's (online, lost, stopped): a Zenith agent's
 * `runtime.status` and `runtime.errors`. `degraded` and `error` lower the app's health; absent means the writer
 * says nothing (not that all is well).
 */
export const ReportedStatus = Type.Object(
  {
    status: Type.Union(
      REPORTED_STATUSES.map((status) => Type.Literal(status)),
      { description: 'online: working; degraded: working with a fault (see errors); error: not doing its job' },
    ),
    errors: Type.Optional(
      Type.Array(Text(TEXT_LIMITS.reportedError, 'a fault, as the writer names it, e.g. "monitor_redis_offline"'), {
        maxItems: MAX_REPORTED_ERRORS,
      }),
    ),
  },
  { ...closed, title: 'ReportedStatus', description: "the writer's own status, e.g. a Zenith agent's runtime.status and errors" },
);

/** Most worker processes one heartbeat lists; an SDK reports the first ones and counts the rest as left out. */
export const MAX_WORKER_PROCESSES = 64;

export const WorkerProcess = Type.Object(
  {
    pid: Type.Integer({ minimum: 0, maximum: 2 ** 31 }),
    name: Text(TEXT_LIMITS.processName, 'command name, e.g. "node" (Linux: /proc/<pid>/comm)'),
    kind: Type.Union([Type.Literal('cluster'), Type.Literal('child'), Type.Literal('queue')], {
      description:
        "cluster: a worker of the runtime's cluster module; child: any other child process; queue: a queue worker found on the host (a Zenith agent's Laravel queue:work and horizon processes)",
    }),
    cpu_usage: Percent('share of the whole machine (all cores), 0 to 100, since the previous heartbeat'),
    memory_rss: Bytes('resident set, bytes'),
  },
  { ...closed, title: 'WorkerProcess', description: 'a worker process of the app, next to the reporting process' },
);

export const PulseHeartbeat = Type.Object(
  {
    timestamp: EpochMillis(),
    system: Type.Object(
      {
        hostname: Text(TEXT_LIMITS.hostname, 'host name'),
        platform: Text(TEXT_LIMITS.platform, 'operating system, e.g. "linux"'),
        cpu_usage: Percent(),
        memory_total: Bytes(),
        memory_free: Bytes(),
        // Optional: a writer that cannot read it (a Zenith agent reports none) leaves it out rather than sending 0s.
        load_avg: Type.Optional(
          Type.Tuple(
            [
              Type.Number({ minimum: 0, description: '1 minute' }),
              Type.Number({ minimum: 0, description: '5 minutes' }),
              Type.Number({ minimum: 0, description: '15 minutes' }),
            ],
            { description: 'load average over 1, 5 and 15 minutes; absent when the writer cannot read it' },
          ),
        ),
        cpu_count: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_536, description: 'logical CPUs' })),
        disks: Type.Optional(Type.Array(DiskUsage, { maxItems: 64, description: 'filesystems the SDK was told to watch' })),
      },
      { ...closed, title: 'SystemStats' },
    ),
    process: Type.Object(
      {
        pid: Type.Integer({ minimum: 0, maximum: 2 ** 31 }),
        uptime: Type.Number({ minimum: 0, description: 'seconds since the process started' }),
        cpu_usage: Percent('share of the whole machine (all cores), 0 to 100'),
        memory_rss: Bytes(),
        // Optional: a runtime without such a heap (Go) leaves it out rather than sending 0.
        memory_heap: Type.Optional(Bytes('heap in use, bytes; absent where the runtime has no such heap (Go)')),
        memory_heap_total: Type.Optional(Bytes('heap reserved, bytes')),
        event_loop: Type.Optional(EventLoopStats),
        runtime_version: Type.Optional(Text(TEXT_LIMITS.runtimeVersion, 'runtime version, e.g. "v20.20.2"')),
      },
      { ...closed, title: 'ProcessStats' },
    ),
    processes: Type.Optional(
      Type.Array(WorkerProcess, {
        maxItems: MAX_WORKER_PROCESSES,
        description: "the app's worker processes on this server (cluster workers, child processes); `process` is the reporting one",
      }),
    ),
    meta: Type.Object(
      {
        app_name: Text(TEXT_LIMITS.appName, 'the service name'),
        environment: Text(TEXT_LIMITS.environment, 'e.g. "production"'),
        runtime: PulseRuntime,
        version: Text(TEXT_LIMITS.version, 'the app version'),
        instance_id: Type.Optional(KeyPart('the server id used in the heartbeat key')),
        interval_ms: Type.Optional(
          Type.Integer({ minimum: 100, maximum: 3_600_000, description: 'how often this SDK writes a heartbeat' }),
        ),
        sdk: Type.Optional(Text(TEXT_LIMITS.sdk, 'SDK name and version, e.g. "@gravito/pulse-node/0.1.0"')),
      },
      { ...closed, title: 'HeartbeatMeta' },
    ),
    recorder: Type.Optional(RecorderStats),
    state: Type.Optional(ServerState),
    reported_status: Type.Optional(ReportedStatus),
  },
  {
    ...closed,
    $id: 'PulseHeartbeat',
    title: 'PulseHeartbeat',
    description: 'One server or process, written every interval to pulse:server:{app}:{id}',
  },
);

export type PulseHeartbeat = Static<typeof PulseHeartbeat>;
export type DiskUsage = Static<typeof DiskUsage>;
export type EventLoopStats = Static<typeof EventLoopStats>;
export type RecorderStats = Static<typeof RecorderStats>;
export type ServerState = Static<typeof ServerState>;
export type WorkerProcess = Static<typeof WorkerProcess>;
export type ReportedStatus = Static<typeof ReportedStatus>;
export type PulseRuntime = Static<typeof PulseRuntime>;
