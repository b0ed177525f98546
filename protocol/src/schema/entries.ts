import { type Static, Type } from '@sinclair/typebox';
import { TEXT_LIMITS } from '../constants.js';
import { EpochMillis, KeyPart, Millis, SpanId, Text, TraceId } from './common.js';

const closed = { additionalProperties: false } as const;

export const SlowEntry = Type.Object(
  {
    kind: Type.Union([Type.Literal('request'), Type.Literal('job')], {
      description: 'request: an incoming HTTP/RPC request (SERVER span); job: a consumed message or job (CONSUMER span)',
    }),
    name: Text(TEXT_LIMITS.name, 'grouping name: "GET /users/:id" or the job name; never a raw URL'),
    method: Type.Optional(Text(TEXT_LIMITS.method, 'HTTP method')),
    route: Type.Optional(Text(TEXT_LIMITS.route, 'route template, e.g. "/users/:id"; never a raw URL')),
    status: Type.Optional(Type.Integer({ minimum: 100, maximum: 599, description: 'HTTP status code' })),
    duration_ms: Millis(),
    threshold_ms: Millis(),
    timestamp: EpochMillis('start time, epoch ms'),
    trace_id: Type.Optional(TraceId()),
    span_id: Type.Optional(SpanId()),
    server_id: KeyPart(),
  },
  {
    ...closed,
    $id: 'SlowEntry',
    title: 'SlowEntry',
    description: 'A request or job slower than its threshold; one stream entry of pulse:slow:{app}',
  },
);

export const ErrorEntry = Type.Object(
  {
    id: Type.String({
      pattern: '^[A-Za-z0-9_-]{8,64}$',
      description: 'unique per occurrence, so that equal errors stay separate set members',
    }),
    type: Text(TEXT_LIMITS.errorType, 'exception class, e.g. "TypeError"'),
    message: Type.String({ maxLength: TEXT_LIMITS.message }),
    stack: Type.Optional(Type.String({ maxLength: TEXT_LIMITS.stack })),
    fingerprint: Type.String({ pattern: '^[0-9a-f]{8,64}$', description: 'groups occurrences of the same error at the same place' }),
    route: Type.Optional(Text(TEXT_LIMITS.route, 'route template or job name where it happened')),
    timestamp: EpochMillis('when it happened, epoch ms; also the member score'),
    trace_id: Type.Optional(TraceId()),
    span_id: Type.Optional(SpanId()),
    server_id: KeyPart(),
  },
  {
    ...closed,
    $id: 'ErrorEntry',
    title: 'ErrorEntry',
    description: 'One exception; one member of pulse:errors:{app}, scored by timestamp',
  },
);

export type SlowEntry = Static<typeof SlowEntry>;
export type ErrorEntry = Static<typeof ErrorEntry>;
