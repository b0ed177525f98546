import { type Static, Type } from '@sinclair/typebox';
import { TEXT_LIMITS } from '../constants.js';
import { EpochMillis, KeyPart, Millis, SpanId, Text, TraceId } from './common.js';
import { HostState } from './host-state.js';

const closed = { additionalProperties: false } as const;

/**
 * What was slow. `other` is for a kind not listed yet; a reader also reads any unknown kind token as `other` (see
 * `tolerateNewerSlowEntry`), so that adding a kind here never makes a newer reader discard an even newer SDK's entries.
 */
export const SlowKind = Type.Union(
  [Type.Literal('request'), Type.Literal('job'), Type.Literal('query'), Type.Literal('outgoing'), Type.Literal('other')],
  {
    title: 'SlowKind',
    description:
      'request: an incoming HTTP/RPC request (SERVER span); job: a consumed message or job (CONSUMER span); query: a database or cache call (CLIENT span with db.system); outgoing: an outgoing HTTP request (CLIENT span with an HTTP method); other: a kind this version does not list',
  },
);

export const SlowEntry = Type.Object(
  {
    kind: SlowKind,
    name: Text(
      TEXT_LIMITS.name,
      'grouping name: "GET /users/:id", the job name, the normalized statement ("SELECT * FROM users WHERE id = ?") or "GET api.example.com/users/:id"; never a raw URL, never a literal of a query',
    ),
    method: Type.Optional(Text(TEXT_LIMITS.method, 'HTTP method of a request or an outgoing request')),
    route: Type.Optional(Text(TEXT_LIMITS.route, 'route template, e.g. "/users/:id"; never a raw URL')),
    status: Type.Optional(
      Type.Integer({ minimum: 100, maximum: 599, description: 'HTTP status code of a request or an outgoing request' }),
    ),
    duration_ms: Millis(),
    threshold_ms: Millis(),
    timestamp: EpochMillis('start time, epoch ms'),
    trace_id: Type.Optional(TraceId()),
    span_id: Type.Optional(SpanId()),
    server_id: KeyPart(),
    location: Type.Optional(Text(TEXT_LIMITS.location, 'where in the code it was made, "path:line" (a query or an outgoing request)')),
    host: Type.Optional(HostState),
  },
  {
    ...closed,
    $id: 'SlowEntry',
    title: 'SlowEntry',
    description: 'A request, job, query or outgoing request slower than its threshold; one stream entry of pulse:slow:{app}',
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

export type SlowKind = Static<typeof SlowKind>;
export type SlowEntry = Static<typeof SlowEntry>;
export type ErrorEntry = Static<typeof ErrorEntry>;
