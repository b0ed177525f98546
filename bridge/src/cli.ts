#!/usr/bin/env node
import { pino } from 'pino';
import { ConfigError, loadConfig, usage } from './config/config.js';
import { createBridge } from './index.js';

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.error(usage());
  process.exit(0);
}

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env, argv);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`pulse-bridge: invalid configuration: ${err.message}`);
    process.exit(2);
  }
  throw err;
}

const log = pino({ level: config.logLevel, base: { service: 'pulse-bridge' } });
const bridge = createBridge(config, { logger: log });

/** Everything must be down within 5 s of the signal; the hard exit is the backstop. */
const SHUTDOWN_BUDGET_MS = 5_000;
let shuttingDown = false;
function shutdown(signal: string): void {
  if (shuttingDown) return;
  shuttingDown = true;
  log.info({ signal }, 'shutting down');
  setTimeout(() => {
    log.error('shutdown took too long: exiting');
    process.exit(1);
  }, SHUTDOWN_BUDGET_MS - 250).unref();
  bridge.stop(SHUTDOWN_BUDGET_MS - 1_500).then(
    () => process.exit(0),
    (err) => {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    },
  );
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

bridge.start().catch((err: Error) => {
  log.fatal({ err: err.message }, 'cannot start');
  process.exit(1);
});
