import { TEXT_LIMITS } from '../constants.js';
import { errorFingerprint } from '../fingerprint.js';
import { fnv1a32Hex } from '../keys.js';
import type { ErrorEntry, SlowEntry } from '../schema/entries.js';
import type { SpanAttributes } from '../span-naming/attributes.js';
import { type SpanName, type SpanRole, spanName } from '../span-naming/span-name.js';
import { type SpanRules, slowMinimumMs } from '../span-naming/span-rules.js';
import { truncateText } from '../text.js';
import { type OtlpIdentity, otlpIdentity } from './resource.js';
import { OTLP_SPAN_KIND, type OtlpKeyValue, type OtlpSpan, type OtlpSpanEvent, type OtlpTracesRequest } from './types.js';
import { hexId, int64, list, nanosToMillis, type OtlpScalar, scalar, textAttribute } from './values.js';

export type OtlpEntry = ({ type: 'slow'; entry: SlowEntry } | { type: 'error'; entry: ErrorEntry }) & { app: string };

export interface OtlpTracesMapping {
  entries: OtlpEntry[];
  /** Spans of resources refused for want of an identity, or without valid times (`partial_success.rejected_spans`). */
  rejectedSpans: number;
  errors: string[];
}

export interface OtlpTracesOptions {
  /** Thresholds, names never recorded and outgoing groups, as the Node exporter's (`spanRules()` gives its defaults). */
  rules: SpanRules;
}

/** Exception events read from one span, as the Node exporter: a retry loop could record hundreds. */
const MAX_ERRORS_PER_SPAN = 4;

/** OTLP's span kinds (integers in both encodings) as the naming rule tells them apart. */
function roleOf(kind: unknown): SpanRole {
  if (kind === OTLP_SPAN_KIND.server) return 'server';
  if (kind === OTLP_SPAN_KIND.client) return 'client';
  if (kind === OTLP_SPAN_KIND.consumer) return 'consumer';
  return 'other';
}

/**
 * A span's scalar attributes by key, as the naming rule reads them (the first of a repeated key, as `attribute`
 * reads it). One pass over the list instead of one per key read; a null prototype, so that no key of the request can
 * reach `Object.prototype`.
 */
export function otlpSpanAttributes(attributes: OtlpKeyValue[] | undefined): SpanAttributes {
  const out: Record<string, OtlpScalar | undefined> = Object.create(null);
  for (const kv of list(attributes)) {
    const key = kv?.key;
    if (typeof key === 'string' && !(key in out)) out[key] = scalar(kv.value);
  }
  return out;
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;

function ids(span: OtlpSpan): { trace_id?: string; span_id?: string } {
  const trace = hexId(span.traceId, 16);
  const spanId = hexId(span.spanId, 8);
  return { ...(trace ? { trace_id: trace } : {}), ...(spanId ? { span_id: spanId } : {}) };
}

/** `n` is of a kind that has slow entries (not `other`). */
function slowEntry(span: OtlpSpan, n: SpanName, startMs: number, durationMs: number, thresholdMs: number, serverId: string): SlowEntry {
  const entry: SlowEntry = {
    kind: n.kind as SlowEntry['kind'],
    name: n.name === '' ? 'unknown' : n.name,
    duration_ms: round3(durationMs),
    threshold_ms: thresholdMs,
    timestamp: Math.round(startMs),
    server_id: serverId,
  };
  if (n.method !== undefined) entry.method = n.method;
  if (n.kind === 'request' && n.route !== undefined) entry.route = n.route;
  if (n.status !== undefined) entry.status = n.status;
  if (n.location !== undefined) entry.location = n.location;
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
  const { requests, queries, outgoing, groups, recordErrors } = options.rules;
  const role = roleOf(span.kind);
  const durationMs = (end - start) / 1e6;
  // Most spans are fast and have no events (or their exceptions are not recorded): they give nothing, so their
  // attributes are not read (the exporter's rule).
  if (!recordErrors || list(span.events).length === 0) {
    const min =
      role === 'client'
        ? Math.min(slowMinimumMs(queries), slowMinimumMs(outgoing))
        : role === 'other'
          ? Number.POSITIVE_INFINITY
          : slowMinimumMs(requests);
    if (durationMs < min) return true;
  }
  const n = spanName(role, typeof span.name === 'string' ? span.name : '', otlpSpanAttributes(span.attributes), groups);
  const rules = n.kind === 'query' ? queries : n.kind === 'outgoing' ? outgoing : requests;
  if (rules.ignore.matches(n.match)) return true;
  if (n.kind !== 'other' && rules.record && durationMs >= rules.thresholds.minimumMs) {
    const threshold = rules.thresholds.thresholdFor(n.match);
    if (durationMs >= threshold)
      out.push({ type: 'slow', app: identity.app, entry: slowEntry(span, n, startMs, durationMs, threshold, identity.id) });
  }
  if (!recordErrors) return true;
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
 * An OTLP traces export request → slow entries (SERVER spans as requests, CONSUMER spans as jobs, CLIENT spans as
 * queries and outgoing requests, over their threshold, named by the protocol's `spanName` as the Node exporter names
 * them) and error entries (`exception` events of any span, fingerprinted as the Node exporter does). Never throws.
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
