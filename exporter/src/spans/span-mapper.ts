import { randomUUID } from 'node:crypto';
import { type ErrorEntry, type SlowEntry, TEXT_LIMITS } from '@gravito/pulse-protocol';
import { type AttributeValue, SpanKind } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import { truncate } from '../identity.js';
import { errorFingerprint } from './fingerprint.js';
import type { ReadableSpan, TimedEvent } from './span-types.js';

/** How a span is grouped: what Pulse shows, matches thresholds and `ignore` against. */
export interface SpanName {
  kind: 'request' | 'job' | 'other';
  /** `GET /users/:id`, the job name, or the span name of another span. */
  name: string;
  /** The key for thresholds and `ignore`: the route template for requests, else the name. */
  match: string;
  route?: string;
  method?: string;
  status?: number;
}

// "/users/42", "GET /users/42", "https://…": a raw URL would make every request its own group.
const RAW_URL = /^(?:[A-Za-z_]+\s+)?(?:[a-z][a-z0-9+.-]*:\/\/|\/)|\?/i;

export function isRawUrl(text: string): boolean {
  return RAW_URL.test(text);
}

function text(value: AttributeValue | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function status(value: AttributeValue | undefined): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 100 && n <= 599 ? n : undefined;
}

/** The grouping name. Only `http.route` gives a request's route; `url.path` is never used. */
export function spanName(span: ReadableSpan): SpanName {
  const a = span.attributes;
  if (span.kind === SpanKind.SERVER) {
    const method = text(a['http.request.method']) ?? text(a['http.method']);
    const route = text(a['http.route']);
    const st = status(a['http.response.status_code']) ?? status(a['http.status_code']);
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

export function toSlowEntry(span: ReadableSpan, n: SpanName, durationMs: number, thresholdMs: number, serverId: string): SlowEntry {
  const entry: SlowEntry = {
    kind: n.kind === 'job' ? 'job' : 'request',
    name: n.name === '' ? 'unknown' : n.name,
    duration_ms: round3(durationMs),
    threshold_ms: thresholdMs,
    timestamp: Math.round(hrTimeToMilliseconds(span.startTime)),
    server_id: serverId,
  };
  if (n.kind === 'request') {
    if (n.method !== undefined) entry.method = n.method;
    if (n.route !== undefined) entry.route = n.route;
    if (n.status !== undefined) entry.status = n.status;
  }
  return Object.assign(entry, ids(span));
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
