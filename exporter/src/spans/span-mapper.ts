import { randomUUID } from 'node:crypto';
import {
  attributeText,
  type ErrorEntry,
  errorFingerprint,
  type HostState,
  type NameGroups,
  spanName as protocolSpanName,
  type SlowEntry,
  type SpanName,
  type SpanRole,
  TEXT_LIMITS,
} from '@gravito/pulse-protocol';
import { SpanKind } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import { truncate } from '../identity.js';
import type { ReadableSpan, TimedEvent } from './span-types.js';

export { isRawUrl } from '@gravito/pulse-protocol';

/** The OpenTelemetry API's span kinds as the protocol's naming rule tells them apart (OTLP numbers them otherwise). */
function roleOf(kind: SpanKind): SpanRole {
  if (kind === SpanKind.SERVER) return 'server';
  if (kind === SpanKind.CLIENT) return 'client';
  if (kind === SpanKind.CONSUMER) return 'consumer';
  return 'other';
}

/**
 * The grouping name, by the protocol's rule (one copy for this exporter and the OTLP mapping). Only `http.route`
 * gives a request's route; `url.path` is never used. `groups` are the user's groups of outgoing requests.
 */
export function spanName(span: ReadableSpan, groups: NameGroups): SpanName {
  return protocolSpanName(roleOf(span.kind), span.name, span.attributes, groups);
}

/**
 * Also for a trace that was not sampled (recorded for Pulse by `recordUnsampled`): its ids then name a trace that
 * the tracing backend does not have, but they still find the request's log lines, which carry the trace id whatever
 * the sampling, and they tell repeats of one slow entry apart (the protocol's `slowEntryIdentity`).
 */
function ids(span: ReadableSpan): { trace_id: string; span_id: string } {
  const sc = span.spanContext();
  return { trace_id: sc.traceId, span_id: sc.spanId };
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;

/** `n` is of a kind that has slow entries (not `other`); `host` is the host's state around that moment, when known. */
export function toSlowEntry(
  span: ReadableSpan,
  n: SpanName,
  durationMs: number,
  thresholdMs: number,
  serverId: string,
  host: HostState | undefined,
): SlowEntry {
  const entry: SlowEntry = {
    kind: n.kind,
    name: n.name === '' ? 'unknown' : n.name,
    duration_ms: round3(durationMs),
    threshold_ms: thresholdMs,
    timestamp: Math.round(hrTimeToMilliseconds(span.startTime)),
    server_id: serverId,
  };
  if (n.method !== undefined) entry.method = n.method;
  if (n.kind === 'request' && n.route !== undefined) entry.route = n.route;
  if (n.status !== undefined) entry.status = n.status;
  if (n.location !== undefined) entry.location = n.location;
  Object.assign(entry, ids(span));
  if (host !== undefined) entry.host = host;
  return entry;
}

export function toErrorEntry(span: ReadableSpan, event: TimedEvent, n: SpanName, serverId: string): ErrorEntry {
  const a = event.attributes ?? {};
  const type = truncate(attributeText(a['exception.type']) ?? 'Error', TEXT_LIMITS.errorType);
  const message = truncate(typeof a['exception.message'] === 'string' ? a['exception.message'] : '', TEXT_LIMITS.message);
  const rawStack = attributeText(a['exception.stacktrace']);
  const entry: ErrorEntry = {
    id: randomUUID().replaceAll('-', ''),
    type,
    message,
    fingerprint: errorFingerprint(type, message, rawStack),
    timestamp: Math.round(hrTimeToMilliseconds(event.time)),
    server_id: serverId,
  };
  if (rawStack !== undefined) entry.stack = truncate(rawStack, TEXT_LIMITS.stack);
  if (n.route !== undefined) entry.route = n.route;
  return Object.assign(entry, ids(span));
}
