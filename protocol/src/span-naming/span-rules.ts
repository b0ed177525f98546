import { compilePattern, NameFilter, type NamePattern, ThresholdMatcher } from '../name-patterns.js';
import { NameGroups } from './name-groups.js';

/** What makes a span of one kind a slow entry: whether the kind is recorded, its thresholds, the names never recorded. */
export interface SlowRules {
  record: boolean;
  thresholds: ThresholdMatcher;
  ignore: NameFilter;
}

/** The rules of every kind of slow entry and of exceptions, as the Node exporter applies them and the OTLP mapping too. */
export interface SpanRules {
  /** Requests (SERVER spans) and jobs (CONSUMER spans), matched by route or job name. */
  requests: SlowRules;
  /** Queries (CLIENT spans with `db.system`), matched by their normalized statement. */
  queries: SlowRules;
  /** Outgoing requests (CLIENT spans with an HTTP method), matched by their target (`host/path`, as grouped). */
  outgoing: SlowRules;
  /** How outgoing requests are grouped (Laravel Pulse's `groups`). */
  groups: NameGroups;
  /** Whether exceptions (spans' `exception` events) are recorded. */
  recordErrors: boolean;
}

/** The smallest threshold of a kind that is recorded: a span faster than it is never slow, whatever its name. */
export function slowMinimumMs(rules: SlowRules): number {
  return rules.record ? rules.thresholds.minimumMs : Number.POSITIVE_INFINITY;
}

/** The Node exporter's default threshold for every kind (Laravel Pulse's too). */
export const DEFAULT_THRESHOLD_MS = 1_000;
/** The largest threshold taken (a day). */
export const MAX_THRESHOLD_MS = 86_400_000;

/**
 * The span rules that can be set from the environment: what is recorded, and one default threshold and one ignore
 * list per kind. Off, `recordSlow` turns off queries and outgoing requests too, as in the Node exporter.
 */
export interface SpanRuleSettings {
  recordSlow?: boolean;
  recordQueries?: boolean;
  recordOutgoing?: boolean;
  recordErrors?: boolean;
  thresholdMs?: number;
  queryThresholdMs?: number;
  outgoingThresholdMs?: number;
  ignore?: readonly NamePattern[];
  queryIgnore?: readonly NamePattern[];
  outgoingIgnore?: readonly NamePattern[];
}

/**
 * The environment variables of those settings, the same for the Node exporter's register entry and the bridge's OTLP
 * receiver, so that one deployment's values mean the same on both paths. Lists are comma-separated globs.
 */
export const SPAN_RULE_ENV = {
  recordSlow: 'PULSE_RECORD_SLOW',
  recordQueries: 'PULSE_RECORD_QUERIES',
  recordOutgoing: 'PULSE_RECORD_OUTGOING',
  recordErrors: 'PULSE_RECORD_ERRORS',
  thresholdMs: 'PULSE_THRESHOLD_MS',
  queryThresholdMs: 'PULSE_QUERY_THRESHOLD_MS',
  outgoingThresholdMs: 'PULSE_OUTGOING_THRESHOLD_MS',
  ignore: 'PULSE_IGNORE',
  queryIgnore: 'PULSE_QUERY_IGNORE',
  outgoingIgnore: 'PULSE_OUTGOING_IGNORE',
} as const satisfies Record<keyof Required<SpanRuleSettings>, string>;

/** A comma-separated list from the environment: `/health, /metrics,` → `['/health', '/metrics']`. */
export function parseEnvList(value: string): string[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

const slowRules = (record: boolean, thresholdMs: number | undefined, ignore: readonly NamePattern[] | undefined): SlowRules => ({
  record,
  thresholds: new ThresholdMatcher([], thresholdMs ?? DEFAULT_THRESHOLD_MS),
  ignore: new NameFilter((ignore ?? []).map(compilePattern)),
});

/** Which kinds of slow entry are recorded (each by default): off, `recordSlow` turns off queries and outgoing requests too. */
export function recordedSlowKinds(settings: Pick<SpanRuleSettings, 'recordSlow' | 'recordQueries' | 'recordOutgoing'>): {
  requests: boolean;
  queries: boolean;
  outgoing: boolean;
} {
  const requests = settings.recordSlow ?? true;
  return { requests, queries: requests && (settings.recordQueries ?? true), outgoing: requests && (settings.recordOutgoing ?? true) };
}

/**
 * Rules from settings (checked by the caller), with the Node exporter's defaults: everything recorded, 1 s for every
 * kind, nothing ignored.
 */
export function spanRules(settings: SpanRuleSettings = {}): SpanRules {
  const recorded = recordedSlowKinds(settings);
  return {
    requests: slowRules(recorded.requests, settings.thresholdMs, settings.ignore),
    queries: slowRules(recorded.queries, settings.queryThresholdMs, settings.queryIgnore),
    outgoing: slowRules(recorded.outgoing, settings.outgoingThresholdMs, settings.outgoingIgnore),
    groups: new NameGroups([]),
    recordErrors: settings.recordErrors ?? true,
  };
}
