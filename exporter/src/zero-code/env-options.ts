import { parseEnvList, SPAN_RULE_ENV } from '@gravito/pulse-protocol';
import { PulseConfigError, type PulseOptions, resolveOptions } from '../config/options.js';

/**
 * The `PULSE_*` environment variables the register entry reads, next to OpenTelemetry's own
 * `OTEL_*` ones (which NodeSDK reads: `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, …).
 * Unset or empty means "Pulse's default". A value that cannot be parsed, or that is out of its option's range, is a
 * `PulseConfigError` naming the variable.
 */
const NUMBERS = {
  PULSE_INTERVAL_MS: 'intervalMs',
  PULSE_TTL_SECONDS: 'ttlSeconds',
  // The span rules' variables are the protocol's, which the bridge's OTLP receiver reads too.
  [SPAN_RULE_ENV.thresholdMs]: 'thresholdMs',
  [SPAN_RULE_ENV.queryThresholdMs]: 'queryThresholdMs',
  [SPAN_RULE_ENV.outgoingThresholdMs]: 'outgoingThresholdMs',
  PULSE_SAMPLE_RATE: 'sampleRate',
  PULSE_MAX_QUEUE_SIZE: 'maxQueueSize',
  PULSE_MAX_QUEUE_BYTES: 'maxQueueBytes',
  PULSE_FLUSH_INTERVAL_MS: 'flushIntervalMs',
  PULSE_WRITE_TIMEOUT_MS: 'writeTimeoutMs',
} as const satisfies Record<string, keyof PulseOptions>;

const TEXTS = {
  PULSE_APP_NAME: 'appName',
  PULSE_ENVIRONMENT: 'environment',
  PULSE_INSTANCE_ID: 'instanceId',
} as const satisfies Record<string, keyof PulseOptions>;

const LISTS = {
  [SPAN_RULE_ENV.ignore]: 'ignore',
  [SPAN_RULE_ENV.queryIgnore]: 'queryIgnore',
  [SPAN_RULE_ENV.outgoingIgnore]: 'outgoingIgnore',
  PULSE_DISKS: 'disks',
} as const satisfies Record<string, keyof PulseOptions>;

const BOOLEANS = {
  [SPAN_RULE_ENV.recordSlow]: 'recordSlow',
  [SPAN_RULE_ENV.recordErrors]: 'recordErrors',
  [SPAN_RULE_ENV.recordQueries]: 'recordQueries',
  [SPAN_RULE_ENV.recordOutgoing]: 'recordOutgoing',
  PULSE_PROCESSES: 'processes',
} as const satisfies Record<string, keyof PulseOptions>;

type Env = Readonly<Record<string, string | undefined>>;

function fail(name: string, expected: string, value: string): never {
  throw new PulseConfigError(`@gravito/pulse-node: ${name} must be ${expected}, got ${JSON.stringify(value)}`);
}

/** `true`/`1`/`yes`/`on` and `false`/`0`/`no`/`off`, any case. */
function parseEnvBoolean(name: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return fail(name, 'true or false', value);
}

/** Pulse options from `PULSE_*` (and `REDIS_URL`); only the variables that are set. */
export function pulseOptionsFromEnv(env: Env = process.env): PulseOptions {
  const options: Record<string, unknown> = {};
  const set = (name: string) => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const redis = set('PULSE_REDIS_URL') ?? set('REDIS_URL');
  if (redis !== undefined) options.redis = redis;
  for (const [name, key] of Object.entries(NUMBERS)) {
    const value = set(name);
    if (value === undefined) continue;
    const n = Number(value);
    if (!Number.isFinite(n)) fail(name, 'a number', value);
    options[key] = n;
  }
  for (const [name, key] of Object.entries(TEXTS)) {
    const value = set(name);
    if (value !== undefined) options[key] = value;
  }
  for (const [name, key] of Object.entries(LISTS)) {
    const value = set(name);
    if (value !== undefined) options[key] = parseEnvList(value);
  }
  for (const [name, key] of Object.entries(BOOLEANS)) {
    const value = set(name);
    if (value !== undefined) options[key] = parseEnvBoolean(name, value);
  }
  checkRanges(options as PulseOptions);
  return options as PulseOptions;
}

/** Each option's variable, to name it where `createPulse` would name the option. */
const VARIABLE_OF: ReadonlyMap<string, string> = new Map(
  [NUMBERS, TEXTS, LISTS, BOOLEANS].flatMap((table) => Object.entries(table).map(([name, option]) => [option, name] as const)),
);

/** The options' own checks, their errors naming the variables set (`PULSE_INTERVAL_MS (intervalMs) must be…`). */
function checkRanges(options: PulseOptions): void {
  resolveOptions(options, (option) => {
    const variable = option in options ? VARIABLE_OF.get(option) : undefined;
    return variable === undefined ? option : `${variable} (${option})`;
  });
}

/** `PULSE_DISABLED=true`: the register entry starts OpenTelemetry without Pulse (a baseline, or an off switch). */
export function pulseDisabled(env: Env = process.env): boolean {
  const value = env.PULSE_DISABLED?.trim();
  return value !== undefined && value !== '' && parseEnvBoolean('PULSE_DISABLED', value);
}
