export * from './attributes.js';
export * from './name-groups.js';
export * from './outgoing-target.js';
export * from './span-name.js';
export * from './span-rules.js';
export * from './statement.js';
