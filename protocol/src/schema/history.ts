import { type Static, Type } from '@sinclair/typebox';
import { TEXT_LIMITS } from '../constants.js';
import { EpochMillis, KeyPart } from './common.js';
import { SlowKind } from './entries.js';

const closed = { additionalProperties: false } as const;
const Count = (description = 'count') => Type.Integer({ minimum: 0, description });
const Figure = (description: string) => Type.Number({ minimum: 0, description });
const Period = Type.Union([Type.Literal('1h'), Type.Literal('6h'), Type.Literal('24h'), Type.Literal('7d')], { title: 'HistoryPeriod' });

// ---- Values stored in the history hashes (protocol/README.md, "History") ----

export const HistorySlowValue = Type.Tuple([Count('entries'), Figure('sum of duration_ms'), Figure('largest duration_ms')], {
  $id: 'HistorySlowValue',
  title: 'HistorySlowValue',
  description: 'bucket hash field slow:<kind>:<name>: [count, sum_ms, max_ms] of the slow entries of that group in the bucket',
});

export const HistoryExceptionValue = Type.Object(
  {
    count: Count('occurrences in the bucket'),
    type: Type.String({ maxLength: TEXT_LIMITS.errorType }),
    message: Type.String({ maxLength: TEXT_LIMITS.message, description: 'the latest occurrence’s message' }),
    last_seen: EpochMillis('the latest occurrence, epoch ms'),
    servers: Type.Union([Type.Array(KeyPart(), { maxItems: 16 }), Type.Object({}, closed)], {
      description: 'server ids that raised it (at most 16, the first seen); `{}` is an empty list (Lua’s cjson)',
    }),
  },
  {
    $id: 'HistoryExceptionValue',
    title: 'HistoryExceptionValue',
    description: 'bucket hash field exc:<fingerprint>: one exception group in the bucket',
  },
);

export const HistoryHealthValue = Type.Object(
  {
    health_sum: Figure('sum of the health scores of the polls in the bucket'),
    health_n: Count('polls with a health score'),
    online: Count('most servers online at once'),
    lost: Count('most servers lost at once'),
  },
  { ...closed, $id: 'HistoryHealthValue', title: 'HistoryHealthValue', description: 'bucket hash field health' },
);

const GaugeStat = (what: string) =>
  Type.Tuple([Figure(`sum of ${what}`), Type.Integer({ minimum: 1, description: 'samples' }), Figure(`largest ${what}`)], {
    description: `[sum, samples, max] of ${what} over the bucket's polls; absent when never measured`,
  });

export const HistoryServerValue = Type.Object(
  {
    cpu: Type.Optional(GaugeStat('system.cpu_usage (%)')),
    mem: Type.Optional(GaugeStat('memory used, system.memory_total − system.memory_free (bytes)')),
    loop: Type.Optional(GaugeStat('process.event_loop.delay_p99_ms')),
  },
  { $id: 'HistoryServerValue', title: 'HistoryServerValue', description: 'servers hash field <server id>: one server in the bucket' },
);

export const HistoryQueueValue = Type.Tuple([Figure('sum of waiting jobs'), Type.Integer({ minimum: 1 }), Figure('most waiting jobs')], {
  $id: 'HistoryQueueValue',
  title: 'HistoryQueueValue',
  description: 'queues hash field <driver>:<queue>: [sum, samples, max] of the queue depth (waiting jobs) over the bucket',
});

// ---- GET /api/pulse/history ----

const Start = EpochMillis('bucket start, epoch ms');

export const HistorySlowGroup = Type.Object(
  {
    kind: SlowKind,
    name: Type.String({ maxLength: TEXT_LIMITS.name }),
    count: Count(),
    max_ms: Figure('slowest'),
    avg_ms: Figure('average'),
  },
  { ...closed, title: 'HistorySlowGroup' },
);

export const HistoryExceptionGroup = Type.Object(
  {
    fingerprint: Type.String({ maxLength: 64 }),
    type: Type.String({ maxLength: TEXT_LIMITS.errorType }),
    message: Type.String({ maxLength: TEXT_LIMITS.message, description: 'the latest occurrence’s message' }),
    count: Count(),
    last_seen: EpochMillis(),
    servers: Type.Array(KeyPart(), { description: 'server ids that raised it (at most 16 per bucket)' }),
  },
  { ...closed, title: 'HistoryExceptionGroup' },
);

const Folded = Type.Object({ count: Count('entries folded past the per-bucket cap of distinct groups') }, closed);

const Nullable = (schema: ReturnType<typeof Figure>) => Type.Optional(Type.Union([schema, Type.Null()]));

export const HistoryResponse = Type.Object(
  {
    period: Period,
    bucket_ms: Type.Integer({ minimum: 1 }),
    from: EpochMillis('start of the first bucket of the period'),
    to: EpochMillis('end of the current bucket'),
    apps: Type.Array(
      Type.Object(
        {
          app: KeyPart(),
          slow: Type.Array(HistorySlowGroup),
          slow_other: Folded,
          slow_groups: Count('distinct slow groups in the period; `slow` lists at most 200'),
          exceptions: Type.Array(HistoryExceptionGroup),
          exceptions_other: Folded,
          exception_groups: Count('distinct exception groups in the period; `exceptions` lists at most 200'),
          health: Type.Array(
            Type.Object(
              {
                start: Start,
                health: Type.Union([Type.Integer({ minimum: 0, maximum: 100 }), Type.Null()], {
                  description: 'average score, null if none',
                }),
                online: Count('most servers online at once'),
                lost: Count('most servers lost at once'),
              },
              closed,
            ),
          ),
          servers: Type.Array(
            Type.Object(
              {
                id: KeyPart(),
                series: Type.Array(
                  Type.Object(
                    {
                      start: Start,
                      cpu_avg: Nullable(Figure('%')),
                      cpu_max: Nullable(Figure('%')),
                      memory_used_avg: Nullable(Figure('bytes')),
                      memory_used_max: Nullable(Figure('bytes')),
                      loop_p99_avg_ms: Nullable(Figure('ms')),
                      loop_p99_max_ms: Nullable(Figure('ms')),
                    },
                    closed,
                  ),
                ),
              },
              closed,
            ),
          ),
        },
        closed,
      ),
    ),
    queues: Type.Array(
      Type.Object(
        {
          queue: Type.String(),
          app: KeyPart(),
          driver: Type.String(),
          series: Type.Array(Type.Object({ start: Start, depth_avg: Figure('waiting jobs'), depth_max: Figure('waiting jobs') }, closed)),
        },
        closed,
      ),
    ),
  },
  {
    ...closed,
    $id: 'HistoryResponse',
    title: 'HistoryResponse',
    description:
      'GET /api/pulse/history: a period in buckets. Series hold only buckets with data; a figure not measured is absent or null, never 0',
  },
);

export type HistoryResponse = Static<typeof HistoryResponse>;
export type HistoryAppView = HistoryResponse['apps'][number];
export type HistoryQueueView = HistoryResponse['queues'][number];
export type HistoryServerPoint = HistoryAppView['servers'][number]['series'][number];
