/**
 * Zero-code setup for ES module apps:
 *   node --import @gravito/pulse-node/register app.mjs
 * Registers the ESM loader hook, starts NodeSDK with the HTTP and Express instrumentations and
 * Pulse (configured from OTEL_* and PULSE_* variables), then lets the app load. CommonJS apps use
 * `--require @gravito/pulse-node/register`, which resolves to register-require.js.
 */
import { registerEsmHook } from './zero-code/esm-hook.js';
import { startZeroCode } from './zero-code/start.js';

const hook = registerEsmHook();
startZeroCode();
// The instrumentations have told the loader which modules to wrap; wait until it has them all.
await hook.ready();
