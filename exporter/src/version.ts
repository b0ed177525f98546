/** Name and version written into every heartbeat's `meta.sdk`. Keep in step with package.json. */
export const SDK_NAME = '@gravito/pulse-node';
export const SDK_VERSION = '0.1.0';
export const SDK_ID = `${SDK_NAME}/${SDK_VERSION}`;
/** Instrumentation scope of Pulse's own instruments: the exporter reads only this scope. */
export const PULSE_SCOPE = SDK_NAME;
