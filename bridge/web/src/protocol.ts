// The page reads the bridge's SSE contract from @gravito/pulse-protocol: types only, so that no validator code
// ends up in the bundle. The event names are checked against the protocol's constant at compile time.

/** The stream's app filter takes key-safe names (protocol `KeyPart`), at most this many. */
export const KEY_PART = /^[A-Za-z0-9._-]{1,64}$/;
export const MAX_STREAM_APPS = 100;

import type { PULSE_EVENTS } from '@gravito/pulse-protocol';

export type {
  AppDelta,
  AppHealth,
  AppSnapshot,
  ErrorEntry,
  PulseErrorEvent,
  PulseHeartbeat,
  PulseSlowEvent,
  PulseStatusEvent,
  ServerSnapshot,
  SlowEntry,
  SystemPulseDeltaEvent,
  SystemPulseEvent,
  WorkerProcess,
} from '@gravito/pulse-protocol';

export const EVENTS: typeof PULSE_EVENTS = {
  systemPulse: 'system_pulse',
  systemPulseDelta: 'system_pulse_delta',
  slow: 'pulse_slow',
  error: 'pulse_error',
  status: 'pulse_status',
};

/** `GET /api/pulse/errors` answers these groups (bridge/src/outputs/http/api.ts). */
export interface ErrorGroupJson {
  fingerprint: string;
  type: string;
  count: number;
  latest: number;
  sample: import('@gravito/pulse-protocol').ErrorEntry;
}
