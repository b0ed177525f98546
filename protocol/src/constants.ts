/** Version of the Gravito Pulse Protocol that this package describes. */
export const PROTOCOL_VERSION = '1.1';

/** How often an SDK writes its heartbeat. */
export const HEARTBEAT_INTERVAL_MS = 5_000;
/** TTL of a heartbeat key: six missed intervals and the server's key is gone. */
export const HEARTBEAT_TTL_SECONDS = 30;

/** Approximate cap of a slow stream (`XADD … MAXLEN ~ 1000`). */
export const SLOW_STREAM_MAXLEN = 1_000;
/** The field of a slow stream entry that holds the SlowEntry JSON, without its `host`. */
export const SLOW_STREAM_FIELD = 'entry';
/**
 * The field of a slow stream entry that holds the entry's `host` (a HostState JSON), when it has one. It sits next to
 * `entry`, not inside it, because GPP 1.0 readers ignore stream fields they do not know but reject unknown fields of
 * `entry` (README, "Readers and newer writers").
 */
export const SLOW_STREAM_HOST_FIELD = 'host';

/** Error members older than this are trimmed (`ZREMRANGEBYSCORE`), and the key expires after it. */
export const ERRORS_WINDOW_MS = 3_600_000;
/** At most this many error members are kept per app (`ZREMRANGEBYRANK`), newest first. */
export const ERRORS_MAX_MEMBERS = 1_000;

/** Largest payloads a receiver accepts; larger values are rejected before JSON parsing. */
export const MAX_HEARTBEAT_BYTES = 64 * 1024;
export const MAX_SLOW_ENTRY_BYTES = 8 * 1024;
export const MAX_HOST_STATE_BYTES = 1024;
export const MAX_ERROR_ENTRY_BYTES = 32 * 1024;

/**
 * Longest value of each text field, in UTF-16 code units. The schemas reject longer values; writers
 * truncate to these so that a long name or stack never costs the whole payload.
 */
export const TEXT_LIMITS = {
  hostname: 255,
  platform: 64,
  mount: 255,
  runtimeVersion: 64,
  appName: 128,
  environment: 64,
  version: 64,
  sdk: 128,
  processName: 64,
  reportedError: 128,
  name: 256,
  method: 16,
  route: 256,
  location: 512,
  errorType: 256,
  message: 2_048,
  stack: 16_384,
} as const;
