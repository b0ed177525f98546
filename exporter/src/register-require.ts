/**
 * Zero-code setup for CommonJS apps:
 *   node --require @gravito/pulse-node/register app.cjs
 * The same as register.js without the ESM loader hook (require() is patched in-process), and with
 * no top-level await, so that `--require` can load it (require of an ES module, Node ≥ 20.19).
 */
import { startZeroCode } from './zero-code/start.js';

startZeroCode();
