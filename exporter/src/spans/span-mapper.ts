import { randomUUID } from 'node:crypto';
import { type ErrorEntry, errorFingerprint, type HostState, type SlowEntry, TEXT_LIMITS } from '@gravito/pulse-protocol';
import { SpanKind } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import type { NameGroups } from '../config/name-groups.js';
import { truncate } from '../identity.js';
import { httpStatus, text } from './attributes.js';
import { clientSpanName } from './client-span-name.js';
import type { ReadableSpan, TimedEvent } from './span-types.js';

/** How a span is grouped: what Pulse shows, matches thresholds and `ignore` against. */
export interface SpanName {
  /** `other`: a span that gives no slow entry, only exceptions. */
  kind: 'request' | 'job' | 'query' | 'outgoing' | 'other';
  /** `GET /users/:id`, the job name, the normalized statement, `GET host/path`, or the span name of another span. */
  name: string;
  /** The key for thresholds and `ignore`: the route template of a request, the target (`host/path`) of an outgoing one, else the name. */
  match: string;
  route?: string;
  method?: string;
  status?: number;
  /** `path:line` of the code that made a query or an outgoing request, when its span says. */
  location?: string;
}

// "/users/42", "GET /users/42", "https://…": a raw URL would make every request its own group.
const RAW_URL = /^(?:[A-Za-z_]+\s+)?(?:[a-z][a-z0-9+.-]*:\/\/|\/)|\?/i;

export function isRawUrl(text: string): boolean {
  return RAW_URL.test(text);
}

/**
 * The grouping name. Only `http.route` gives a request's route; `url.path` is never used. `groups` are the
 * user's groups of outgoing requests.
 */
export function spanName(span: ReadableSpan, groups: NameGroups): SpanName {
  const a = span.attributes;
  if (span.kind === SpanKind.SERVER) {
    const method = text(a['http.request.method']) ?? text(a['http.method']);
    const route = text(a['http.route']);
    const st = httpStatus(a['http.response.status_code']) ?? httpStatus(a['http.status_code']);
    const shortMethod = method === undefined ? undefined : truncate(method, TEXT_LIMITS.method);
    if (route !== undefined) {
      const r = truncate(route, TEXT_LIMITS.route);
      return {
        kind: 'request',
        name: truncate(method ? `${method} ${route}` : route, TEXT_LIMITS.name),
        match: r,
        route: r,
        method: shortMethod,
        status: st,
      };
    }
    const name = isRawUrl(span.name) ? (method ?? 'HTTP') : span.name;
    return { kind: 'request', name: truncate(name, TEXT_LIMITS.name), match: name, method: shortMethod, status: st };
  }
  if (span.kind === SpanKind.CONSUMER) {
    const name = truncate(isRawUrl(span.name) ? (text(a['messaging.destination.name']) ?? 'job') : span.name, TEXT_LIMITS.name);
    return { kind: 'job', name, match: name, route: name };
  }
  if (span.kind === SpanKind.CLIENT) {
    const client = clientSpanName(span, groups);
    if (client !== undefined) return client;
  }
  const route = text(a['http.route']);
  const name = truncate(route ?? span.name, TEXT_LIMITS.name);
  return { kind: 'other', name, match: name, route: route === undefined ? undefined : truncate(route, TEXT_LIMITS.route) };
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
  const type = truncate(text(a['exception.type']) ?? 'Error', TEXT_LIMITS.errorType);
  const message = truncate(typeof a['exception.message'] === 'string' ? a['exception.message'] : '', TEXT_LIMITS.message);
  const rawStack = text(a['exception.stacktrace']);
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
