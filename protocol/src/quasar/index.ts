export * from './heartbeat-to-node.js';
export * from './keys.js';
export * from './mirror-mark.js';
export * from './node-to-heartbeat.js';
export * from './pulse-node.js';
export * from './validate.js';
