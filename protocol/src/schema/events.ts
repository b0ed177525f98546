import { type Static, Type } from '@sinclair/typebox';
import { EpochMillis, KeyPart } from './common.js';
import { ErrorEntry, SlowEntry } from './entries.js';
import { PulseHeartbeat } from './heartbeat.js';

/**
 * Payloads of the bridge's SSE feed (`GET /api/pulse/stream`), which Zenith consumes.
 * The event name is given next to each type.
 */

const closed = { additionalProperties: false } as const;

export const ServerStatus = Type.Union([Type.Literal('online'), Type.Literal('lost'), Type.Literal('stopped')], {
  description:
    "lost: no heartbeat for longer than the bridge's lost-after (a crash), shown greyed until it is forgotten; stopped: its last heartbeat said state stopped (a graceful shutdown), kept until its key expires",
});

export const ServerSnapshot = Type.Object(
  {
    app: KeyPart(),
    id: KeyPart(),
    status: ServerStatus,
    last_seen: EpochMillis(
      "timestamp of the last heartbeat, epoch ms; never later than when the bridge first read it (the bridge's clock)",
    ),
    heartbeat: PulseHeartbeat,
  },
  { ...closed, title: 'ServerSnapshot' },
);

export const AppHealth = Type.Object(
  {
    score: Type.Integer({ minimum: 0, maximum: 100, description: '100 is healthy' }),
    reasons: Type.Array(Type.String({ maxLength: 256 }), { maxItems: 32, description: 'what took points off, readable' }),
  },
  { ...closed, title: 'AppHealth' },
);

/** An app's figures, without its servers: shared by `AppSnapshot` and the delta's `AppDelta.summary`. */
const appSummaryFields = {
  health: AppHealth,
  servers_online: Type.Integer({ minimum: 0 }),
  servers_lost: Type.Integer({ minimum: 0 }),
  servers_stopped: Type.Optional(Type.Integer({ minimum: 0, description: 'servers that shut down gracefully, not yet forgotten' })),
  slow_per_minute: Type.Number({ minimum: 0, description: 'slow entries per minute over the last 5 minutes' }),
  errors_per_minute: Type.Number({ minimum: 0, description: 'exceptions per minute over the last 5 minutes' }),
  invalid_feeds: Type.Optional(
    Type.Array(Type.Union([Type.Literal('slow'), Type.Literal('errors')]), {
      maxItems: 2,
      description: 'feeds of this app the bridge cannot read (its key holds another Redis type); absent when all are readable',
    }),
  ),
};

export const AppSnapshot = Type.Object(
  {
    app: KeyPart(),
    ...appSummaryFields,
    servers: Type.Array(ServerSnapshot),
  },
  { ...closed, title: 'AppSnapshot' },
);

export const AppSummary = Type.Object(appSummaryFields, { ...closed, title: 'AppSummary' });

/**
 * Whether the state an event carries is current: the bridge's polls of Redis can fail while Redis still answers
 * PING (a missing ACL permission, a renamed command, a cluster that refuses reads, timeouts). Optional, so that
 * readers of older bridges keep working; in `system_pulse` and `system_pulse_delta` they are present only when
 * the poll due at `timestamp` failed.
 */
const pollFields = {
  poll_ok: Type.Optional(
    Type.Boolean({
      description:
        "false when the bridge's last poll of Redis failed: the state is the last one a poll read, data_age_ms old, and server statuses are frozen",
    }),
  ),
  poll_error: Type.Optional(Type.String({ maxLength: 512, description: 'why the last poll failed, as Redis or the bridge said it' })),
  data_age_ms: Type.Optional(
    Type.Integer({
      minimum: 0,
      description: 'ms since the last poll that succeeded read this state; absent when no poll has succeeded yet (the age is unknown)',
    }),
  ),
};

/** `event: system_pulse`: the whole aggregate, on connect and every interval. */
export const SystemPulseEvent = Type.Object(
  {
    timestamp: EpochMillis(),
    redis_up: Type.Boolean(),
    ...pollFields,
    apps: Type.Array(AppSnapshot),
  },
  { ...closed, $id: 'SystemPulseEvent', title: 'SystemPulseEvent' },
);

/** One app's changes since the previous event of the stream; `summary` is absent when its figures did not change. */
export const AppDelta = Type.Object(
  {
    app: KeyPart(),
    /** The app's new figures; absent when they did not change. */
    summary: Type.Optional(AppSummary),
    servers: Type.Array(ServerSnapshot, {
      description: 'servers that changed, appeared or became lost, whole: replace (or add) each by its id',
    }),
    forgotten: Type.Array(KeyPart(), { description: 'ids of servers forgotten: remove them' }),
  },
  { ...closed, title: 'AppDelta', description: "an app's changes; summary is absent when its figures did not change" },
);

/**
 * `event: system_pulse_delta` (stream `?mode=delta`): what changed since the previous `system_pulse` or
 * `system_pulse_delta` of the same stream. Applied to that state it gives exactly the next `system_pulse`.
 */
export const SystemPulseDeltaEvent = Type.Object(
  {
    timestamp: EpochMillis(),
    redis_up: Type.Boolean(),
    ...pollFields,
    apps: Type.Array(AppDelta, { description: 'apps with any change, in name order; an app not listed is unchanged' }),
    apps_forgotten: Type.Array(KeyPart(), { description: 'apps with no server left: remove them' }),
  },
  { ...closed, $id: 'SystemPulseDeltaEvent', title: 'SystemPulseDeltaEvent' },
);

/** `event: pulse_slow`: one new slow entry. */
export const PulseSlowEvent = Type.Object(
  {
    app: KeyPart(),
    stream_id: Type.String({ pattern: '^[0-9]+-[0-9]+$', description: 'the Redis stream entry id' }),
    entry: SlowEntry,
  },
  { ...closed, $id: 'PulseSlowEvent', title: 'PulseSlowEvent' },
);

/** `event: pulse_error`: one new exception. */
export const PulseErrorEvent = Type.Object(
  {
    app: KeyPart(),
    entry: ErrorEntry,
  },
  { ...closed, $id: 'PulseErrorEvent', title: 'PulseErrorEvent' },
);

/**
 * `event: pulse_status`: whether the bridge reaches Redis, whether its polls succeed, and whether Redis accepts
 * writes; sent on connect and on every change.
 */
export const PulseStatusEvent = Type.Object(
  {
    timestamp: EpochMillis(),
    redis_up: Type.Boolean(),
    redis_oom: Type.Optional(
      Type.Boolean({ description: 'Redis is at maxmemory with noeviction: it refuses writes, so servers show as lost until it has room' }),
    ),
    error: Type.Optional(Type.String({ maxLength: 512 })),
    ...pollFields,
  },
  { ...closed, $id: 'PulseStatusEvent', title: 'PulseStatusEvent' },
);

export type ServerStatus = Static<typeof ServerStatus>;
export type ServerSnapshot = Static<typeof ServerSnapshot>;
export type AppHealth = Static<typeof AppHealth>;
export type AppSnapshot = Static<typeof AppSnapshot>;
export type AppSummary = Static<typeof AppSummary>;
export type AppDelta = Static<typeof AppDelta>;
export type SystemPulseDeltaEvent = Static<typeof SystemPulseDeltaEvent>;
export type SystemPulseEvent = Static<typeof SystemPulseEvent>;
export type PulseSlowEvent = Static<typeof PulseSlowEvent>;
export type PulseErrorEvent = Static<typeof PulseErrorEvent>;
export type PulseStatusEvent = Static<typeof PulseStatusEvent>;

/** SSE event names, as sent on the `event:` line. */
export const PULSE_EVENTS = {
  systemPulse: 'system_pulse',
  systemPulseDelta: 'system_pulse_delta',
  slow: 'pulse_slow',
  error: 'pulse_error',
  status: 'pulse_status',
} as const;
