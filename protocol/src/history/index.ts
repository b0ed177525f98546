export * from './encoding.js';
export * from './periods.js';
