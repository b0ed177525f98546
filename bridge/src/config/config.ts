import {
  DEFAULT_THRESHOLD_MS,
  MAX_THRESHOLD_MS,
  parseEnvList,
  parseRedisTarget,
  SPAN_RULE_ENV,
  type SpanRules,
  spanRules,
} from '@gravito/pulse-protocol';
import { type HistoryRetention, parseHistoryRetention } from '../monitor/history/history-options.js';

/**
 * The bridge's configuration: environment variables, overridden by command-line flags of the same name
 * (`REDIS_URL` ↔ `--redis-url`, `PULSE_BRIDGE_PORT` ↔ `--pulse-bridge-port` or the short `--port`).
 * Every value is checked here, so that a bad one stops the start with one readable line.
 */

export interface BridgeConfig {
  /** One `redis://` URL, or a cluster seed list (several comma-separated `host:port` or URLs). */
  redisUrl: string;
  host: string;
  port: number;
  /** When set, `Authorization: Bearer <token>` is required on everything but `/healthz`. */
  token: string | undefined;
  /** Exact origins granted CORS; empty means no CORS headers at all. */
  corsOrigins: string[];
  /** One Redis poll, one `system_pulse`, per interval. */
  streamIntervalMs: number;
  /** A heartbeat older than this is `lost` (unless it carries `meta.interval_ms`: then 3 × that). */
  lostAfterMs: number;
  /** A lost server is remembered (and exported with `pulse_server_up 0`) this long after its last heartbeat. */
  forgetAfterMs: number;
  /** SSE clients beyond this get a 503. */
  sseMaxClients: number;
  /** A client whose unsent SSE buffer passes this many bytes is disconnected. */
  sseMaxBufferBytes: number;
  /** Distinct `route` label values per app on the slow-entry metrics; the rest go to `other`. */
  metricsMaxRoutes: number;
  /** Timeout of one Redis command (and of a dead socket). */
  redisTimeoutMs: number;
  logLevel: string;
  /** Also read Zenith's agents (`gravito:quasar:node:*`) into the snapshot. */
  quasarRead: boolean;
  /** Write every online server as a Zenith PulseNode (`gravito:quasar:node:{app}:{id}`). Besides history's own keys, the bridge's only Redis write. */
  zenithMirror: boolean;
  /** Receive OTLP/HTTP (`POST /v1/metrics`, `/v1/traces`) on this port, under the token, and write GPP. The second Redis writer. */
  otlp: boolean;
  otlpRecordSlow: boolean;
  otlpRecordQueries: boolean;
  otlpRecordOutgoing: boolean;
  otlpRecordErrors: boolean;
  /**
   * The OTLP receiver's slow-entry rules, under the Node exporter's variable names (the protocol's `SPAN_RULE_ENV`):
   * the threshold of requests and jobs, of queries and of outgoing requests, and the names each never records.
   */
  otlpThresholdMs: number;
  otlpQueryThresholdMs: number;
  otlpOutgoingThresholdMs: number;
  otlpIgnore: string[];
  otlpQueryIgnore: string[];
  otlpOutgoingIgnore: string[];
  /** Period views (`GET /api/pulse/history`): the longest period kept in Redis, or `off`. */
  history: HistoryRetention;
  /** Tests only: divides history's periods and buckets (30: the 1 h period lasts 2 min, in 2 s buckets). */
  historyTimeScale: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

interface Option {
  env: string;
  /** A short flag besides the long one, which is the env name in kebab case (PULSE_BRIDGE_PORT → --pulse-bridge-port). */
  short?: string;
  describe: string;
}

/** The long flag is derived from the environment variable's name, so the two cannot drift apart. */
const longFlag = (env: string) => `--${env.toLowerCase().replaceAll('_', '-')}`;
const flagsOf = (option: Option): string[] => [longFlag(option.env), ...(option.short ? [option.short] : [])];

const OPTIONS = {
  redisUrl: { env: 'REDIS_URL', describe: 'Redis URL or cluster seed list' },
  host: { env: 'PULSE_BRIDGE_HOST', short: '--host', describe: 'listen address' },
  port: { env: 'PULSE_BRIDGE_PORT', short: '--port', describe: 'listen port' },
  token: { env: 'PULSE_BRIDGE_TOKEN', short: '--token', describe: 'bearer token' },
  corsOrigins: { env: 'PULSE_CORS_ORIGINS', short: '--cors-origins', describe: 'CORS origins' },
  streamIntervalMs: { env: 'PULSE_STREAM_INTERVAL_MS', short: '--stream-interval-ms', describe: 'poll interval' },
  lostAfterMs: { env: 'PULSE_LOST_AFTER_MS', short: '--lost-after-ms', describe: 'lost after' },
  forgetAfterMs: { env: 'PULSE_FORGET_AFTER_MS', short: '--forget-after-ms', describe: 'forget after' },
  sseMaxClients: { env: 'PULSE_SSE_MAX_CLIENTS', short: '--sse-max-clients', describe: 'SSE clients' },
  sseMaxBufferBytes: { env: 'PULSE_SSE_MAX_BUFFER_BYTES', short: '--sse-max-buffer-bytes', describe: 'SSE buffer cap' },
  metricsMaxRoutes: { env: 'PULSE_METRICS_MAX_ROUTES', short: '--metrics-max-routes', describe: 'routes per app' },
  redisTimeoutMs: { env: 'PULSE_REDIS_TIMEOUT_MS', short: '--redis-timeout-ms', describe: 'Redis command timeout' },
  logLevel: { env: 'PULSE_LOG_LEVEL', short: '--log-level', describe: 'log level' },
  quasarRead: { env: 'PULSE_QUASAR_READ', short: '--quasar-read', describe: 'read Zenith agents (1/0)' },
  zenithMirror: { env: 'PULSE_ZENITH_MIRROR', short: '--zenith-mirror', describe: 'mirror servers into Zenith (1/0)' },
  otlp: { env: 'PULSE_OTLP', short: '--otlp', describe: 'receive OTLP/HTTP on /v1/metrics, /v1/traces (1/0)' },
  otlpRecordSlow: {
    env: SPAN_RULE_ENV.recordSlow,
    short: '--otlp-record-slow',
    describe: 'OTLP: record slow requests and jobs; 0 turns off queries and outgoing requests too (1/0)',
  },
  otlpRecordQueries: { env: SPAN_RULE_ENV.recordQueries, short: '--otlp-record-queries', describe: 'OTLP: record slow queries (1/0)' },
  otlpRecordOutgoing: {
    env: SPAN_RULE_ENV.recordOutgoing,
    short: '--otlp-record-outgoing',
    describe: 'OTLP: record slow outgoing requests (1/0)',
  },
  otlpRecordErrors: { env: SPAN_RULE_ENV.recordErrors, short: '--otlp-record-errors', describe: 'OTLP: record exceptions (1/0)' },
  otlpThresholdMs: { env: SPAN_RULE_ENV.thresholdMs, short: '--otlp-threshold-ms', describe: 'OTLP: slow request/job (ms)' },
  otlpQueryThresholdMs: { env: SPAN_RULE_ENV.queryThresholdMs, short: '--otlp-query-threshold-ms', describe: 'OTLP: slow query (ms)' },
  otlpOutgoingThresholdMs: {
    env: SPAN_RULE_ENV.outgoingThresholdMs,
    short: '--otlp-outgoing-threshold-ms',
    describe: 'OTLP: slow outgoing request (ms)',
  },
  otlpIgnore: { env: SPAN_RULE_ENV.ignore, short: '--otlp-ignore', describe: 'OTLP: routes/jobs never recorded (globs, comma-separated)' },
  otlpQueryIgnore: { env: SPAN_RULE_ENV.queryIgnore, short: '--otlp-query-ignore', describe: 'OTLP: statements never recorded (globs)' },
  otlpOutgoingIgnore: {
    env: SPAN_RULE_ENV.outgoingIgnore,
    short: '--otlp-outgoing-ignore',
    describe: 'OTLP: targets never recorded (globs)',
  },
  history: { env: 'PULSE_HISTORY', short: '--history', describe: 'period views kept in Redis: on (7d), off, 1h, 6h or 24h' },
  historyTimeScale: { env: 'PULSE_HISTORY_TIME_SCALE', describe: 'tests only: history periods and buckets divided by this' },
} satisfies Record<keyof BridgeConfig, Option>;

export const DEFAULTS: BridgeConfig = {
  redisUrl: 'redis://127.0.0.1:6379',
  host: '127.0.0.1',
  port: 9464,
  token: undefined,
  corsOrigins: [],
  streamIntervalMs: 2_000,
  lostAfterMs: 15_000,
  forgetAfterMs: 600_000,
  sseMaxClients: 1_000,
  sseMaxBufferBytes: 1024 * 1024,
  metricsMaxRoutes: 100,
  redisTimeoutMs: 1_000,
  logLevel: 'info',
  quasarRead: true,
  zenithMirror: false,
  otlp: false,
  otlpRecordSlow: true,
  otlpRecordQueries: true,
  otlpRecordOutgoing: true,
  otlpRecordErrors: true,
  otlpThresholdMs: DEFAULT_THRESHOLD_MS,
  otlpQueryThresholdMs: DEFAULT_THRESHOLD_MS,
  otlpOutgoingThresholdMs: DEFAULT_THRESHOLD_MS,
  otlpIgnore: [],
  otlpQueryIgnore: [],
  otlpOutgoingIgnore: [],
  history: '7d',
  historyTimeScale: 1,
};

/** Options that are on or off: their flag may stand alone (`--zenith-mirror` means `--zenith-mirror 1`). */
const SWITCHES = new Set<keyof BridgeConfig>([
  'quasarRead',
  'zenithMirror',
  'otlp',
  'otlpRecordSlow',
  'otlpRecordQueries',
  'otlpRecordOutgoing',
  'otlpRecordErrors',
]);
const ON = new Set(['1', 'true', 'yes', 'on']);
const OFF = new Set(['0', 'false', 'no', 'off']);

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** A flag's value and the flag as the user typed it (`--port` or `--pulse-bridge-port`), for error messages. */
interface FlagValue {
  value: string;
  flag: string;
}

/** Reads `--name value` and `--name=value` pairs; any unknown flag is an error. */
function readFlags(argv: readonly string[]): Map<keyof BridgeConfig, FlagValue> {
  const byFlag = new Map<string, keyof BridgeConfig>();
  for (const [key, option] of Object.entries(OPTIONS) as [keyof BridgeConfig, Option][]) {
    for (const flag of flagsOf(option)) byFlag.set(flag, key);
  }
  const values = new Map<keyof BridgeConfig, FlagValue>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const key = byFlag.get(flag);
    if (!key) throw new ConfigError(`unknown argument ${JSON.stringify(arg)} (run with --help for the list)`);
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else if (SWITCHES.has(key) && (argv[i + 1] === undefined || argv[i + 1]?.startsWith('--'))) value = '1';
    else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined) throw new ConfigError(`${flag} needs a value`);
    values.set(key, { value, flag });
  }
  return values;
}

function integer(name: string, raw: string, min: number, max: number): number {
  // A sign is part of an integer: `-5` is out of range, not "not an integer".
  if (!/^[-+]?[0-9]+$/.test(raw.trim()))
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is not an integer (expected ${min} to ${max})`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new ConfigError(`${name}=${raw} is out of range (expected ${min} to ${max})`);
  return value;
}

/** `name` is the variable or flag the value came from, for the error message. */
function origins(name: string, raw: string): string[] {
  return raw
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)
    .map((o) => {
      let url: URL;
      try {
        url = new URL(o);
      } catch {
        throw new ConfigError(`${name} entry ${JSON.stringify(o)} is not an origin like https://zenith.example.com`);
      }
      if (url.origin === 'null' || url.origin !== o.replace(/\/$/, '')) {
        throw new ConfigError(`${name} entry ${JSON.stringify(o)} must be a bare origin (scheme://host[:port]), no path`);
      }
      return url.origin;
    });
}

/** Builds the configuration from the environment and flags; throws a `ConfigError` with one readable line. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = []): BridgeConfig {
  const flags = readFlags(argv);
  const raw = (key: keyof BridgeConfig): string | undefined => {
    const value = flags.get(key)?.value ?? env[OPTIONS[key].env];
    return value === undefined || value === '' ? undefined : value;
  };
  const name = (key: keyof BridgeConfig) => flags.get(key)?.flag ?? OPTIONS[key].env;
  const int = (key: keyof BridgeConfig, min: number, max: number, fallback: number) => {
    const value = raw(key);
    return value === undefined ? fallback : integer(name(key), value, min, max);
  };
  const bool = (key: keyof BridgeConfig, fallback: boolean) => {
    const value = raw(key)?.trim().toLowerCase();
    if (value === undefined) return fallback;
    if (ON.has(value)) return true;
    if (OFF.has(value)) return false;
    throw new ConfigError(`${name(key)}=${JSON.stringify(raw(key))} is not a switch (expected 1 or 0)`);
  };

  const redisUrl = raw('redisUrl') ?? DEFAULTS.redisUrl;
  try {
    parseRedisTarget(redisUrl);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const host = raw('host') ?? DEFAULTS.host;
  if (!/^[A-Za-z0-9.:_-]+$/.test(host)) throw new ConfigError(`${name('host')}=${JSON.stringify(host)} is not a host name or address`);
  const token = raw('token');
  if (token !== undefined && (token.length < 16 || /\s/.test(token))) {
    throw new ConfigError(`${name('token')} must be at least 16 characters with no spaces`);
  }
  const streamIntervalMs = int('streamIntervalMs', 1_000, 5_000, DEFAULTS.streamIntervalMs);
  const lostAfterMs = int('lostAfterMs', 1_000, 86_400_000, DEFAULTS.lostAfterMs);
  const forgetAfterMs = int('forgetAfterMs', 0, 7 * 86_400_000, DEFAULTS.forgetAfterMs);
  const threshold = (key: keyof BridgeConfig) => int(key, 0, MAX_THRESHOLD_MS, DEFAULT_THRESHOLD_MS);
  const globs = (key: keyof BridgeConfig) => parseEnvList(raw(key) ?? '');
  const logLevel = raw('logLevel') ?? DEFAULTS.logLevel;
  if (!LOG_LEVELS.has(logLevel))
    throw new ConfigError(`${name('logLevel')}=${JSON.stringify(logLevel)} is not one of ${[...LOG_LEVELS].join(', ')}`);
  return {
    redisUrl,
    host,
    port: int('port', 0, 65_535, DEFAULTS.port),
    token,
    corsOrigins: origins(name('corsOrigins'), raw('corsOrigins') ?? ''),
    streamIntervalMs,
    lostAfterMs,
    forgetAfterMs,
    sseMaxClients: int('sseMaxClients', 1, 100_000, DEFAULTS.sseMaxClients),
    sseMaxBufferBytes: int('sseMaxBufferBytes', 16 * 1024, 256 * 1024 * 1024, DEFAULTS.sseMaxBufferBytes),
    metricsMaxRoutes: int('metricsMaxRoutes', 1, 10_000, DEFAULTS.metricsMaxRoutes),
    redisTimeoutMs: int('redisTimeoutMs', 100, 60_000, DEFAULTS.redisTimeoutMs),
    logLevel,
    quasarRead: bool('quasarRead', DEFAULTS.quasarRead),
    zenithMirror: bool('zenithMirror', DEFAULTS.zenithMirror),
    otlp: bool('otlp', DEFAULTS.otlp),
    otlpRecordSlow: bool('otlpRecordSlow', DEFAULTS.otlpRecordSlow),
    otlpRecordQueries: bool('otlpRecordQueries', DEFAULTS.otlpRecordQueries),
    otlpRecordOutgoing: bool('otlpRecordOutgoing', DEFAULTS.otlpRecordOutgoing),
    otlpRecordErrors: bool('otlpRecordErrors', DEFAULTS.otlpRecordErrors),
    otlpThresholdMs: threshold('otlpThresholdMs'),
    otlpQueryThresholdMs: threshold('otlpQueryThresholdMs'),
    otlpOutgoingThresholdMs: threshold('otlpOutgoingThresholdMs'),
    otlpIgnore: globs('otlpIgnore'),
    otlpQueryIgnore: globs('otlpQueryIgnore'),
    otlpOutgoingIgnore: globs('otlpOutgoingIgnore'),
    history: history(name('history'), raw('history')),
    // Up to 3600: the 1 h period then lasts a second; the buckets of every period stay at least 1 ms long.
    historyTimeScale: int('historyTimeScale', 1, 3_600, DEFAULTS.historyTimeScale),
  };
}

function history(name: string, raw: string | undefined): HistoryRetention {
  if (raw === undefined) return DEFAULTS.history;
  const retention = parseHistoryRetention(raw);
  if (retention === undefined) throw new ConfigError(`${name}=${JSON.stringify(raw)} is not on, off, 1h, 6h, 24h or 7d`);
  return retention;
}

export function usage(): string {
  const rows = (Object.entries(OPTIONS) as [keyof BridgeConfig, Option][]).map(
    ([key, o]) =>
      `  ${o.env.padEnd(28)} ${flagsOf(o).join(', ').padEnd(58)} ${o.describe} (default: ${String(DEFAULTS[key] ?? 'unset') || 'none'})`,
  );
  return ['Usage: pulse-bridge [flags]   (every flag also reads from its environment variable)', ...rows].join('\n');
}

/** The receiver's rules from the bridge's settings (`PULSE_RECORD_QUERIES`, `PULSE_THRESHOLD_MS`, `PULSE_IGNORE`, …). */
export function otlpSpanRules(config: BridgeConfig): SpanRules {
  return spanRules({
    recordSlow: config.otlpRecordSlow,
    recordQueries: config.otlpRecordQueries,
    recordOutgoing: config.otlpRecordOutgoing,
    recordErrors: config.otlpRecordErrors,
    thresholdMs: config.otlpThresholdMs,
    queryThresholdMs: config.otlpQueryThresholdMs,
    outgoingThresholdMs: config.otlpOutgoingThresholdMs,
    ignore: config.otlpIgnore,
    queryIgnore: config.otlpQueryIgnore,
    outgoingIgnore: config.otlpOutgoingIgnore,
  });
}
