// The page reads the bridge's SSE contract from @gravito/pulse-protocol: types only, so that no validator code
// ends up in the bundle. The event names are checked against the protocol's constant at compile time.
import type { PULSE_EVENTS } from '@gravito/pulse-protocol';

export type {
  AppHealth,
  AppSnapshot,
  ErrorEntry,
  PulseErrorEvent,
  PulseHeartbeat,
  PulseSlowEvent,
  PulseStatusEvent,
  ServerSnapshot,
  SlowEntry,
  SystemPulseEvent,
} from '@gravito/pulse-protocol';

export const EVENTS: typeof PULSE_EVENTS = {
  systemPulse: 'system_pulse',
  slow: 'pulse_slow',
  error: 'pulse_error',
  status: 'pulse_status',
};

/** `GET /api/pulse/errors` answers these groups (bridge/src/http/api.ts). */
export interface ErrorGroupJson {
  fingerprint: string;
  type: string;
  count: number;
  latest: number;
  sample: import('@gravito/pulse-protocol').ErrorEntry;
}
