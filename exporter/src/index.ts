// The fingerprint rule is the protocol's (shared with the bridge's OTLP receiver); still exported here, as before.
export { errorFingerprint, firstFrame } from '@gravito/pulse-protocol';
export { type FetchHandler, type WithPulseOptions, withPulse } from './bun/with-pulse.js';
export { DEFAULTS, PulseConfigError, type PulseOptions } from './config/options.js';
export type { NamePattern } from './config/patterns.js';
export { type Identity, resolveIdentity } from './identity.js';
export { type HeartbeatContext, toHeartbeat } from './metrics/heartbeat-mapper.js';
export { M as PULSE_METRICS } from './metrics/names.js';
export { PulseMetricExporter } from './metrics/pulse-metric-exporter.js';
export { PulseMetricReader } from './metrics/pulse-metric-reader.js';
export { createPulse, type Pulse } from './pulse.js';
export { PulseRecorder, type PulseRecorderOptions } from './recorder.js';
export { type PulseRedisClient, safeRedisOptions } from './redis/connection.js';
export { recordUnsampled } from './sampling/record-unsampled.js';
export { PulseSpanProcessor } from './spans/pulse-span-processor.js';
export { isRawUrl } from './spans/span-mapper.js';
export { RecorderStats } from './stats.js';
export { SDK_ID, SDK_NAME, SDK_VERSION } from './version.js';
export { pulseOptionsFromEnv } from './zero-code/env-options.js';
