import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { errorMessage } from '../diag-once.js';

interface ClientInstrumentation {
  /** How the register entry names it when it says what it loaded. */
  name: string;
  package: string;
  export: string;
  /** The library it patches, when that is a package of the app's (fetch is Node's own). */
  library?: string;
}

/** The clients whose slow calls Pulse records as queries and outgoing requests (`http` is loaded with the server side). */
const CLIENT_INSTRUMENTATIONS: readonly ClientInstrumentation[] = [
  { name: 'pg', package: '@opentelemetry/instrumentation-pg', export: 'PgInstrumentation', library: 'pg' },
  { name: 'mysql2', package: '@opentelemetry/instrumentation-mysql2', export: 'MySQL2Instrumentation', library: 'mysql2' },
  { name: 'ioredis', package: '@opentelemetry/instrumentation-ioredis', export: 'IORedisInstrumentation', library: 'ioredis' },
  { name: 'undici', package: '@opentelemetry/instrumentation-undici', export: 'UndiciInstrumentation' },
];

const require = createRequire(import.meta.url);

/** Where the app's own packages are found: from its main script, then from Pulse (a hoisted install has them there too). */
function appPaths(): string[] {
  const main = process.argv[1];
  return [main ? dirname(main) : process.cwd(), dirname(fileURLToPath(import.meta.url))];
}

function resolvable(name: string, paths: string[]): boolean {
  try {
    require.resolve(name, { paths });
    return true;
  } catch {
    return false;
  }
}

export interface ClientInstrumentations {
  names: string[];
  instrumentations: Instrumentation[];
  /** Why an installed one was left out, to log once a diag logger is there (NodeSDK installs it). */
  problems: string[];
}

/**
 * The client instrumentations whose package and library are both installed, created (not yet enabled). A missing
 * one is skipped in silence; one that fails to load or start is skipped and named in `problems`: the app starts
 * either way.
 */
export function clientInstrumentations(): ClientInstrumentations {
  const paths = appPaths();
  const found: ClientInstrumentations = { names: [], instrumentations: [], problems: [] };
  for (const client of CLIENT_INSTRUMENTATIONS) {
    if (client.library !== undefined && !resolvable(client.library, paths)) continue;
    let module: Record<string, new () => Instrumentation>;
    try {
      // A bare name, as the other instrumentations are loaded, so that a resolver hook (.ci/otel3) sees it.
      module = require(client.package);
    } catch (err) {
      if ((err as { code?: string }).code !== 'MODULE_NOT_FOUND') {
        found.problems.push(`${client.package} could not be loaded, so slow ${client.name} calls are not recorded: ${errorMessage(err)}`);
      }
      continue;
    }
    try {
      const Constructor = module[client.export];
      if (typeof Constructor !== 'function') throw new Error(`it has no ${client.export}`);
      found.instrumentations.push(new Constructor());
      found.names.push(client.name);
    } catch (err) {
      found.problems.push(`${client.package} could not be started, so slow ${client.name} calls are not recorded: ${errorMessage(err)}`);
    }
  }
  return found;
}
