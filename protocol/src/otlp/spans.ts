import { TEXT_LIMITS } from '../constants.js';
import { errorFingerprint } from '../fingerprint.js';
import { fnv1a32Hex } from '../keys.js';
import type { NameFilter, ThresholdMatcher } from '../name-patterns.js';
import type { ErrorEntry, SlowEntry } from '../schema/entries.js';
import { truncateText } from '../text.js';
import { type OtlpIdentity, otlpIdentity } from './resource.js';
import { OTLP_SPAN_KIND, type OtlpSpan, type OtlpSpanEvent, type OtlpTracesRequest } from './types.js';
import { firstText, hexId, int64, integerAttribute, list, nanosToMillis, textAttribute } from './values.js';

/** Thresholds and names never recorded, as the Node exporter's `thresholds`/`thresholdMs` and `ignore`. */
export interface OtlpSpanRules {
  thresholds: ThresholdMatcher;
  ignore: NameFilter;
}

export type OtlpEntry = ({ type: 'slow'; entry: SlowEntry } | { type: 'error'; entry: ErrorEntry }) & { app: string };

export interface OtlpTracesMapping {
  entries: OtlpEntry[];
  /** Spans of resources refused for want of an identity, or without valid times (`partial_success.rejected_spans`). */
  rejectedSpans: number;
  errors: string[];
}

export interface OtlpTracesOptions {
  rules: OtlpSpanRules;
}

/** Exception events read from one span, as the Node exporter: a retry loop could record hundreds. */
const MAX_ERRORS_PER_SPAN = 4;

// "/users/42", "GET /users/42", "https://…": a raw URL would make every request its own group (the Node exporter's rule).
const RAW_URL = /^(?:[A-Za-z_]+\s+)?(?:[a-z][a-z0-9+.-]*:\/\/|\/)|\?/i;

interface SpanName {
  kind: 'request' | 'job' | 'other';
  name: string;
  /** What thresholds and `ignore` match: a request's route, else its name. */
  match: string;
  route?: string;
  method?: string;
  status?: number;
}

function httpStatus(span: OtlpSpan): number | undefined {
  const status = integerAttribute(span.attributes, 'http.response.status_code') ?? integerAttribute(span.attributes, 'http.status_code');
  return status !== undefined && status >= 100 && status <= 599 ? status : undefined;
}

/**
 * The grouping name, as the Node exporter names a span: a SERVER span is `METHOD route` by `http.route` (never its raw
 * path), a CONSUMER span is a job named by the span (or `messaging.destination.name` when the span name is a URL).
 * CLIENT spans (queries, outgoing requests) are not mapped yet: their normalization lives in the Node exporter.
 */
function spanName(span: OtlpSpan): SpanName {
  const a = span.attributes;
  const spanTitle = typeof span.name === 'string' ? span.name : '';
  if (span.kind === OTLP_SPAN_KIND.server) {
    const method = firstText(a, ['http.request.method', 'http.method']);
    const shortMethod = method === undefined ? undefined : truncateText(method, TEXT_LIMITS.method);
    const route = textAttribute(a, 'http.route');
    const status = httpStatus(span);
    if (route !== undefined) {
      const r = truncateText(route, TEXT_LIMITS.route);
      return {
        kind: 'request',
        name: truncateText(method ? `${method} ${route}` : route, TEXT_LIMITS.name),
        match: r,
        route: r,
        method: shortMethod,
        status,
      };
    }
    const name = RAW_URL.test(spanTitle) || spanTitle === '' ? (method ?? 'HTTP') : spanTitle;
    return { kind: 'request', name: truncateText(name, TEXT_LIMITS.name), match: name, method: shortMethod, status };
  }
  if (span.kind === OTLP_SPAN_KIND.consumer) {
    const raw = RAW_URL.test(spanTitle) || spanTitle === '';
    const name = truncateText(raw ? (textAttribute(a, 'messaging.destination.name') ?? 'job') : spanTitle, TEXT_LIMITS.name);
    return { kind: 'job', name, match: name, route: name };
  }
  const route = textAttribute(a, 'http.route');
  const name = truncateText(route ?? (spanTitle || 'span'), TEXT_LIMITS.name);
  return { kind: 'other', name, match: name, route: route === undefined ? undefined : truncateText(route, TEXT_LIMITS.route) };
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;

function ids(span: OtlpSpan): { trace_id?: string; span_id?: string } {
  const trace = hexId(span.traceId, 16);
  const spanId = hexId(span.spanId, 8);
  return { ...(trace ? { trace_id: trace } : {}), ...(spanId ? { span_id: spanId } : {}) };
}

function slowEntry(span: OtlpSpan, n: SpanName, startMs: number, durationMs: number, thresholdMs: number, serverId: string): SlowEntry {
  const entry: SlowEntry = {
    kind: n.kind as 'request' | 'job',
    name: n.name === '' ? 'unknown' : n.name,
    duration_ms: round3(durationMs),
    threshold_ms: thresholdMs,
    timestamp: Math.round(startMs),
    server_id: serverId,
  };
  if (n.method !== undefined) entry.method = n.method;
  if (n.kind === 'request' && n.route !== undefined) entry.route = n.route;
  if (n.status !== undefined) entry.status = n.status;
  return Object.assign(entry, ids(span));
}

/**
 * The ErrorEntry id of one exception event: derived from the event (its span, time, place in the span, type and
 * message), not random, so that a client retrying a request the receiver could not write (Redis down) writes the same
 * member again, which the sorted set keeps once, while two occurrences stay two members.
 */
function occurrenceId(span: OtlpSpan, event: OtlpSpanEvent, index: number, type: string, message: string): string {
  const at = String(int64(event.timeUnixNano) ?? '');
  const where = `${hexId(span.traceId, 16) ?? ''}|${hexId(span.spanId, 8) ?? ''}|${at}|${index}`;
  return fnv1a32Hex(where) + fnv1a32Hex(`${type}\n${message}\n${where}`);
}

function errorEntry(span: OtlpSpan, event: OtlpSpanEvent, index: number, n: SpanName, atMs: number, serverId: string): ErrorEntry {
  const a = event.attributes;
  const type = truncateText(textAttribute(a, 'exception.type') ?? 'Error', TEXT_LIMITS.errorType);
  const rawMessage = textAttribute(a, 'exception.message');
  const message = truncateText(rawMessage ?? '', TEXT_LIMITS.message);
  const rawStack = textAttribute(a, 'exception.stacktrace');
  const entry: ErrorEntry = {
    id: occurrenceId(span, event, index, type, message),
    type,
    message,
    fingerprint: errorFingerprint(type, message, rawStack),
    timestamp: Math.round(atMs),
    server_id: serverId,
  };
  if (rawStack !== undefined) entry.stack = truncateText(rawStack, TEXT_LIMITS.stack);
  if (n.route !== undefined) entry.route = n.route;
  return Object.assign(entry, ids(span));
}

function mapSpan(span: OtlpSpan, identity: OtlpIdentity, options: OtlpTracesOptions, seen: Set<string>, out: OtlpEntry[]): boolean {
  const startMs = nanosToMillis(span.startTimeUnixNano);
  const start = int64(span.startTimeUnixNano);
  const end = int64(span.endTimeUnixNano);
  if (startMs === undefined || start === undefined || end === undefined || end < start) return false;
  const n = spanName(span);
  const { thresholds, ignore } = options.rules;
  if (ignore.matches(n.match)) return true;
  if (n.kind !== 'other') {
    const durationMs = (end - start) / 1e6;
    if (durationMs >= thresholds.minimumMs) {
      const threshold = thresholds.thresholdFor(n.match);
      if (durationMs >= threshold)
        out.push({ type: 'slow', app: identity.app, entry: slowEntry(span, n, startMs, durationMs, threshold, identity.id) });
    }
  }
  let recorded = 0;
  for (const [index, event] of list(span.events).entries()) {
    if (event?.name !== 'exception') continue;
    if (recorded++ >= MAX_ERRORS_PER_SPAN) break;
    const entry = errorEntry(span, event, index, n, nanosToMillis(event.timeUnixNano) ?? startMs, identity.id);
    // An exception often bubbles through several spans of one trace (express layer, then route): record it once.
    const key = `${identity.app}\n${entry.trace_id}\n${entry.type}\n${entry.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ type: 'error', app: identity.app, entry });
  }
  return true;
}

/**
 * An OTLP traces export request → slow entries (SERVER spans as requests, CONSUMER spans as jobs, over their
 * threshold) and error entries (`exception` events of any span, fingerprinted as the Node exporter does). Never throws.
 */
export function otlpTracesToEntries(request: OtlpTracesRequest, options: OtlpTracesOptions): OtlpTracesMapping {
  const entries: OtlpEntry[] = [];
  const errors = new Set<string>();
  const seen = new Set<string>();
  let rejectedSpans = 0;
  for (const rs of list(request?.resourceSpans)) {
    const identity = otlpIdentity(rs?.resource);
    for (const scope of list(rs?.scopeSpans)) {
      for (const span of list(scope?.spans)) {
        if ('refused' in identity) {
          rejectedSpans++;
          errors.add(identity.refused);
        } else if (typeof span !== 'object' || span === null || !mapSpan(span, identity, options, seen, entries)) {
          rejectedSpans++;
          errors.add('a span without valid start and end times');
        }
      }
    }
  }
  return { entries, rejectedSpans, errors: [...errors] };
}
