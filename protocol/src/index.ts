export * from './constants.js';
export * from './keys.js';
export * from './schema/entries.js';
export * from './schema/events.js';
export * from './schema/heartbeat.js';
export * from './schemas.js';
export * from './storage.js';
export * from './validate.js';
