export * from './figures.js';
export * from './heartbeat.js';
export * from './liveness.js';
export * from './metrics.js';
export * from './resource.js';
export * from './spans.js';
export * from './types.js';
export * from './values.js';
