import { assembleBridge } from './assemble.js';
import type { Bridge, BridgeOptions } from './bridge-api.js';
import type { BridgeConfig } from './config/config.js';

export type { Bridge, BridgeOptions } from './bridge-api.js';
export { type BridgeConfig, ConfigError, DEFAULTS, loadConfig, usage } from './config/config.js';
export { HEALTH_WEIGHTS, type HealthInput, healthScore } from './monitor/health.js';

/** Builds a bridge from a configuration (see `loadConfig`); nothing runs until `start()`. */
export function createBridge(partial: Partial<BridgeConfig> = {}, options: BridgeOptions = {}): Bridge {
  return assembleBridge(partial, options);
}
