import {
  DEFAULT_THRESHOLD_MS,
  HEARTBEAT_INTERVAL_MS,
  HEARTBEAT_TTL_SECONDS,
  MAX_THRESHOLD_MS,
  NameGroups,
  parseRedisTarget,
  recordedSlowKinds,
  type SlowRules,
} from '@gravito/pulse-protocol';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { compilePattern, NameFilter, type NamePattern, ThresholdMatcher } from './patterns.js';

/** Thresholds in ms per name pattern, first match wins: `{ '/slow/*': 2000 }` or `[[/^\/api\//, 500]]`. */
export type ThresholdRules = Record<string, number> | ReadonlyArray<readonly [NamePattern, number]>;

/** Everything `createPulse` and `PulseRecorder` accept. Every field is optional. */
export interface PulseOptions {
  /**
   * Where to write: a `redis://` URL, a Redis Cluster seed list (`host:port,host:port,…`, as the bridge takes),
   * ioredis options, or your own ioredis `Redis` or `Cluster` client
   * (used as-is and never closed by Pulse). Default: `REDIS_URL`, else `redis://127.0.0.1:6379`.
   */
  redis?: string | RedisOptions | Redis | Cluster;
  /** Overrides merged onto Pulse's safe ioredis defaults when Pulse creates the client. */
  redisOptions?: RedisOptions;
  /** App name (`{app}` in the keys). Default: the Resource's `service.name`. */
  appName?: string;
  /** Default: the Resource's `deployment.environment.name` (or `deployment.environment`), else `NODE_ENV`, else `production`. */
  environment?: string;
  /** Default: the Resource's `service.version`, else `0.0.0`. */
  version?: string;
  /** Server id (`{id}` in the heartbeat key). Default: the Resource's `service.instance.id`, else `hostname-pid`. */
  instanceId?: string;
  /** Heartbeat period. Default 5000 ms. */
  intervalMs?: number;
  /** Heartbeat key TTL. Default 30 s; must be longer than the interval. */
  ttlSeconds?: number;
  /** Mount points whose size and free space go into the heartbeat. Default `['/']`. */
  disks?: string[];
  /** Report worker processes (cluster workers, child processes, tracked pids) in the heartbeat's `processes`. Default true. */
  processes?: boolean;
  /** A SERVER or CONSUMER span slower than this is a slow entry. Default 1000 ms. */
  thresholdMs?: number;
  /** Per-route or per-job thresholds, first match wins: `{ '/slow/*': 2000, 'send-email': 5000 }` or `[[/^\/api\//, 500]]`. */
  thresholds?: ThresholdRules;
  /** Routes or job names never recorded (neither slow nor error entries). */
  ignore?: NamePattern[];
  /** Share of slow and error entries recorded, 0 to 1. Default 1. */
  sampleRate?: number;
  /** Record slow entries of every kind (requests, jobs, queries, outgoing requests). Default true. */
  recordSlow?: boolean;
  /** A database or cache call (a CLIENT span with `db.system`) at least this long is a slow query. Default 1000 ms. */
  queryThresholdMs?: number;
  /** Per-query thresholds, first match wins, matched against the normalized statement: `{ 'SELECT * FROM reports*': 5000 }`. */
  queryThresholds?: ThresholdRules;
  /** Normalized statements never recorded (neither slow nor error entries), e.g. `[/^SELECT \* FROM health_check/]`. */
  queryIgnore?: NamePattern[];
  /** Record slow queries. Default true. */
  recordQueries?: boolean;
  /** An outgoing HTTP request (a CLIENT span with an HTTP method) at least this long is slow. Default 1000 ms. */
  outgoingThresholdMs?: number;
  /** Per-target thresholds, first match wins, matched against the target (`host/path`, as grouped): `{ 'api.example.com/reports/*': 5000 }`. */
  outgoingThresholds?: ThresholdRules;
  /** Targets (`host/path`, as grouped) never recorded (neither slow nor error entries), e.g. `['127.0.0.1:9200/*']`. */
  outgoingIgnore?: NamePattern[];
  /**
   * How outgoing requests are grouped, as in Laravel Pulse: the first pattern that matches the target (`host/path`, no
   * query string) rewrites it, e.g. `[[/^api\.github\.com\/repos\/.*$/, 'api.github.com/repos/*']]`, or `{ glob: name }`.
   * A target no group matches has its ids collapsed (`api.example.com/users/:id`).
   */
  outgoingGroups?: Record<string, string> | ReadonlyArray<readonly [NamePattern, string]>;
  /** Record slow outgoing requests. Default true. */
  recordOutgoing?: boolean;
  /** Record exceptions. Default true. */
  recordErrors?: boolean;
  /** Entries held in memory while waiting for a flush; more are dropped and counted. Default 1000. */
  maxQueueSize?: number;
  /** Bytes those entries may hold (their text, roughly: a stack counts its length); more are dropped and counted. Default 4 MiB. */
  maxQueueBytes?: number;
  /** How often queued entries are written (one pipeline per flush). Default 1000 ms. */
  flushIntervalMs?: number;
  /** Longest wait for one Redis write (heartbeat or flush) before it counts as failed. Default 2000 ms. */
  writeTimeoutMs?: number;
}

export interface ResolvedOptions {
  redis: string | RedisOptions | Redis | Cluster;
  redisOptions: RedisOptions;
  appName: string | undefined;
  environment: string | undefined;
  version: string | undefined;
  instanceId: string | undefined;
  intervalMs: number;
  ttlSeconds: number;
  disks: string[];
  processes: boolean;
  thresholds: ThresholdMatcher;
  ignore: NameFilter;
  queries: SlowRules;
  outgoing: SlowRules;
  outgoingGroups: NameGroups;
  sampleRate: number;
  recordSlow: boolean;
  recordErrors: boolean;
  maxQueueSize: number;
  maxQueueBytes: number;
  flushIntervalMs: number;
  writeTimeoutMs: number;
}

export class PulseConfigError extends Error {
  override name = 'PulseConfigError';
}

export const DEFAULTS = {
  redisUrl: 'redis://127.0.0.1:6379',
  intervalMs: HEARTBEAT_INTERVAL_MS,
  ttlSeconds: HEARTBEAT_TTL_SECONDS,
  disks: ['/'],
  thresholdMs: DEFAULT_THRESHOLD_MS,
  sampleRate: 1,
  maxQueueSize: 1_000,
  maxQueueBytes: 4 * 1024 * 1024,
  flushIntervalMs: 1_000,
  writeTimeoutMs: 2_000,
} as const;

const KNOWN_KEYS = new Set([
  'redis',
  'redisOptions',
  'appName',
  'environment',
  'version',
  'instanceId',
  'intervalMs',
  'ttlSeconds',
  'disks',
  'processes',
  'thresholdMs',
  'thresholds',
  'ignore',
  'sampleRate',
  'recordSlow',
  'recordErrors',
  'queryThresholdMs',
  'queryThresholds',
  'queryIgnore',
  'recordQueries',
  'outgoingThresholdMs',
  'outgoingThresholds',
  'outgoingIgnore',
  'outgoingGroups',
  'recordOutgoing',
  'maxQueueSize',
  'maxQueueBytes',
  'flushIntervalMs',
  'writeTimeoutMs',
]);

function fail(message: string): never {
  throw new PulseConfigError(`@gravito/pulse-node: ${message}`);
}

function number(value: unknown, name: string, fallback: number, min: number, max: number, integer = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    fail(`${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function optionalText(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') fail(`${name} must be a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}

function bool(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(`${name} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

function pattern(value: unknown, where: string): NamePattern {
  if (value instanceof RegExp) return value;
  if (typeof value === 'string' && value !== '') return value;
  return fail(`${where} must be a non-empty string (glob) or a RegExp, got ${String(value)}`);
}

/** `{ pattern: value }` or `[[pattern, value], …]` as pairs, each pattern checked. */
function patternPairs(value: unknown, name: string, form: string): Array<readonly [NamePattern, unknown]> {
  if (value === undefined) return [];
  const entries: ReadonlyArray<unknown> = Array.isArray(value)
    ? value
    : typeof value === 'object' && value !== null
      ? Object.entries(value)
      : fail(`${name} must be an object { pattern: ${form} } or an array of [pattern, ${form}], got ${JSON.stringify(value)}`);
  return entries.map((entry, i) => {
    if (!Array.isArray(entry) || entry.length !== 2) fail(`${name}[${i}] must be a [pattern, ${form}] pair`);
    return [pattern(entry[0], `${name}[${i}] pattern`), entry[1]] as const;
  });
}

function thresholdMatcher(rules: unknown, name: string, defaultMs: number): ThresholdMatcher {
  const compiled = patternPairs(rules, name, 'ms').map(([p, ms]) => ({
    pattern: compilePattern(p),
    ms: number(ms, `${name}[${String(p)}]`, 0, 0, MAX_THRESHOLD_MS),
  }));
  return new ThresholdMatcher(compiled, defaultMs);
}

function nameFilter(value: unknown, name: string): NameFilter {
  const patterns = value ?? [];
  if (!Array.isArray(patterns)) fail(`${name} must be an array of globs or RegExps`);
  return new NameFilter(patterns.map((p, i) => compilePattern(pattern(p, `${name}[${i}]`))));
}

function nameGroups(value: unknown, name: string): NameGroups {
  return new NameGroups(
    patternPairs(value, name, 'replacement').map(([p, replacement]) => {
      if (typeof replacement !== 'string') fail(`${name}[${String(p)}] must be a replacement string, got ${JSON.stringify(replacement)}`);
      return { pattern: compilePattern(p), replacement };
    }),
  );
}

/** A URL or seed list is read the way the bridge reads it (one parser, in the protocol package). */
function redisUrl(value: string, name: string): string {
  try {
    parseRedisTarget(value);
  } catch (err) {
    fail(`${name} must be a redis:// or rediss:// URL, or a cluster seed list (host:port,host:port,…): ${(err as Error).message}`);
  }
  return value;
}

function redisTarget(value: unknown, name: string): ResolvedOptions['redis'] {
  if (value === undefined) return process.env.REDIS_URL ? redisUrl(process.env.REDIS_URL, 'REDIS_URL') : DEFAULTS.redisUrl;
  if (typeof value === 'string') return redisUrl(value, name);
  if (typeof value === 'object' && value !== null) return value as ResolvedOptions['redis'];
  return fail(`${name} must be a URL, ioredis options or an ioredis client, got ${String(value)}`);
}

/**
 * Applies defaults and checks every option, so that a mistake fails at `createPulse`, not at 3 a.m. Errors name each
 * option as `label` says (the register entry names the `PULSE_*` variable it came from).
 */
export function resolveOptions(
  options: PulseOptions = {},
  label: (option: keyof PulseOptions) => string = (option) => option,
): ResolvedOptions {
  if (typeof options !== 'object' || options === null) fail('options must be an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN_KEYS.has(key)) fail(`unknown option ${JSON.stringify(key)}; known options: ${[...KNOWN_KEYS].join(', ')}`);
  }
  const intervalMs = number(options.intervalMs, label('intervalMs'), DEFAULTS.intervalMs, 100, 3_600_000, true);
  const ttlSeconds = number(options.ttlSeconds, label('ttlSeconds'), DEFAULTS.ttlSeconds, 1, 86_400, true);
  if (ttlSeconds * 1000 <= intervalMs) {
    fail(
      `${label('ttlSeconds')} (${ttlSeconds} s) must be longer than ${label('intervalMs')} (${intervalMs} ms), or heartbeats expire between writes`,
    );
  }
  const disks = options.disks ?? [...DEFAULTS.disks];
  if (!Array.isArray(disks) || disks.length > 64 || disks.some((d) => typeof d !== 'string' || d === '' || d.length > 255)) {
    fail(`${label('disks')} must be an array of at most 64 mount points, got ${JSON.stringify(disks)}`);
  }
  if (options.redisOptions !== undefined && (typeof options.redisOptions !== 'object' || options.redisOptions === null)) {
    fail(`${label('redisOptions')} must be an ioredis options object`);
  }
  const thresholdMs = number(options.thresholdMs, label('thresholdMs'), DEFAULTS.thresholdMs, 0, MAX_THRESHOLD_MS);
  const recorded = recordedSlowKinds({
    recordSlow: bool(options.recordSlow, label('recordSlow'), true),
    recordQueries: bool(options.recordQueries, label('recordQueries'), true),
    recordOutgoing: bool(options.recordOutgoing, label('recordOutgoing'), true),
  });
  const queryThresholdMs = number(options.queryThresholdMs, label('queryThresholdMs'), DEFAULTS.thresholdMs, 0, MAX_THRESHOLD_MS);
  const outgoingThresholdMs = number(options.outgoingThresholdMs, label('outgoingThresholdMs'), DEFAULTS.thresholdMs, 0, MAX_THRESHOLD_MS);
  return {
    redis: redisTarget(options.redis, label('redis')),
    redisOptions: options.redisOptions ?? {},
    appName: optionalText(options.appName, label('appName')),
    environment: optionalText(options.environment, label('environment')),
    version: optionalText(options.version, label('version')),
    instanceId: optionalText(options.instanceId, label('instanceId')),
    intervalMs,
    ttlSeconds,
    disks: [...disks],
    processes: bool(options.processes, label('processes'), true),
    thresholds: thresholdMatcher(options.thresholds, label('thresholds'), thresholdMs),
    ignore: nameFilter(options.ignore, label('ignore')),
    queries: {
      record: recorded.queries,
      thresholds: thresholdMatcher(options.queryThresholds, label('queryThresholds'), queryThresholdMs),
      ignore: nameFilter(options.queryIgnore, label('queryIgnore')),
    },
    outgoing: {
      record: recorded.outgoing,
      thresholds: thresholdMatcher(options.outgoingThresholds, label('outgoingThresholds'), outgoingThresholdMs),
      ignore: nameFilter(options.outgoingIgnore, label('outgoingIgnore')),
    },
    outgoingGroups: nameGroups(options.outgoingGroups, label('outgoingGroups')),
    sampleRate: number(options.sampleRate, label('sampleRate'), DEFAULTS.sampleRate, 0, 1),
    recordSlow: recorded.requests,
    recordErrors: bool(options.recordErrors, label('recordErrors'), true),
    maxQueueSize: number(options.maxQueueSize, label('maxQueueSize'), DEFAULTS.maxQueueSize, 1, 100_000, true),
    maxQueueBytes: number(options.maxQueueBytes, label('maxQueueBytes'), DEFAULTS.maxQueueBytes, 64 * 1024, 256 * 1024 * 1024, true),
    flushIntervalMs: number(options.flushIntervalMs, label('flushIntervalMs'), DEFAULTS.flushIntervalMs, 10, 60_000, true),
    writeTimeoutMs: number(options.writeTimeoutMs, label('writeTimeoutMs'), DEFAULTS.writeTimeoutMs, 50, 60_000, true),
  };
}
