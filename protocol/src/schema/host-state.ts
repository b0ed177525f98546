import { type Static, Type } from '@sinclair/typebox';
import { Bytes, Millis, Percent } from './common.js';

/**
 * The state of the host and process around the moment a slow entry was recorded: what was going on when the
 * query, request or job was slow. Every figure is optional: an SDK that cannot measure one leaves it out, never
 * sends 0 for it (0 is a measurement: an idle CPU, no request in flight). An SDK that measures none leaves the
 * whole `host` out.
 */
export const HostState = Type.Object(
  {
    cpu_usage: Type.Optional(Percent('host CPU busy, 0 to 100, over about the last second')),
    event_loop_delay_p99_ms: Type.Optional(Millis('event-loop delay p99 over about the last second, ms (runtimes with an event loop)')),
    memory_heap: Type.Optional(Bytes('heap in use, bytes')),
    memory_rss: Type.Optional(Bytes('resident set of the process, bytes')),
    requests_in_flight: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 1_000_000_000, description: 'incoming requests (SERVER spans) started and not yet ended' }),
    ),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    title: 'HostState',
    description: 'the host and process around the moment the entry was recorded; a figure the SDK cannot measure is absent, never 0',
  },
);

export type HostState = Static<typeof HostState>;
