import { PulseNode } from './quasar/pulse-node.js';
import { ErrorEntry, SlowEntry } from './schema/entries.js';
import { PulseErrorEvent, PulseSlowEvent, PulseStatusEvent, SystemPulseDeltaEvent, SystemPulseEvent } from './schema/events.js';
import { PulseHeartbeat } from './schema/heartbeat.js';
import {
  HistoryExceptionValue,
  HistoryHealthValue,
  HistoryQueueValue,
  HistoryResponse,
  HistoryServerValue,
  HistorySlowValue,
} from './schema/history.js';

/** Every published schema, by the file name it is written to under `protocol/schema/`. */
export const PUBLISHED_SCHEMAS = {
  'heartbeat.schema.json': PulseHeartbeat,
  'slow-entry.schema.json': SlowEntry,
  'error-entry.schema.json': ErrorEntry,
  'event-system-pulse.schema.json': SystemPulseEvent,
  'event-system-pulse-delta.schema.json': SystemPulseDeltaEvent,
  'event-pulse-slow.schema.json': PulseSlowEvent,
  'event-pulse-error.schema.json': PulseErrorEvent,
  'event-pulse-status.schema.json': PulseStatusEvent,
  'zenith-pulse-node.schema.json': PulseNode,
  'history-response.schema.json': HistoryResponse,
  'history-slow-value.schema.json': HistorySlowValue,
  'history-exception-value.schema.json': HistoryExceptionValue,
  'history-health-value.schema.json': HistoryHealthValue,
  'history-server-value.schema.json': HistoryServerValue,
  'history-queue-value.schema.json': HistoryQueueValue,
} as const;

/** The JSON Schema document for one published schema: the TypeBox schema itself, plus the draft it follows. */
export function toJsonSchemaDocument(schema: object): string {
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...schema }, null, 2)}\n`;
}
