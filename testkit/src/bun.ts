import { fileURLToPath } from 'node:url';
import { executable, which } from './system.js';

/** Where `.ci/run` installs Bun from the npm registry (the `bun` package carries the binary). */
const CI_BUN = fileURLToPath(new URL('../../.ci/bun/node_modules/.bin/bun', import.meta.url));

/**
 * A Bun binary for tests that run an app under Bun: this process when it is Bun, else `$BUN_BINARY`, else the CI
 * leg's install, else `bun` on PATH. `undefined` when there is none; such tests skip and say how to get one.
 */
export function findBun(): string | undefined {
  if (process.versions.bun !== undefined) return process.execPath;
  return executable(process.env.BUN_BINARY) ?? executable(CI_BUN) ?? which('bun');
}

export const NO_BUN = 'no Bun: npm ci --prefix .ci/bun (what .ci/run does), or set BUN_BINARY, or put bun on PATH';
