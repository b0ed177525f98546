#!/usr/bin/env node
// gpp: checks payloads against the Gravito Pulse Protocol, for SDK authors and operators.
//   gpp validate heartbeat|slow|error [file]   (reads standard input without a file)
//   gpp key <app> [id]                         (prints the key-safe parts and keys)
import { readFileSync } from 'node:fs';
import { errorsKey, heartbeatKey, slowKey, toSafeKeyPart } from './keys.js';
import { errorEntryValidator, heartbeatValidator, type PayloadValidator, slowEntryValidator } from './validate.js';

const validators: Record<string, PayloadValidator<unknown>> = {
  heartbeat: heartbeatValidator,
  slow: slowEntryValidator,
  error: errorEntryValidator,
};

const USAGE = 'usage: gpp validate heartbeat|slow|error [file]  |  gpp key <app> [id]';

function main(argv: string[]): number {
  const [command, kind, target] = argv;
  if (command === 'validate' && kind && validators[kind]) {
    const raw = readFileSync(target ?? 0, 'utf8').trim();
    const parsed = validators[kind].parse(raw);
    // The writer's check, for SDK authors: a reader tolerates more (an unknown runtime, read as "other").
    const result = parsed.ok ? validators[kind].validate(JSON.parse(raw)) : parsed;
    if (result.ok) {
      process.stdout.write(`valid ${kind}\n`);
      return 0;
    }
    process.stderr.write(`${result.error}\n`);
    return 1;
  }
  if (command === 'key' && kind) {
    const app = toSafeKeyPart(kind);
    const lines = [`app: ${app}`, `slow: ${slowKey(app)}`, `errors: ${errorsKey(app)}`];
    if (target !== undefined) lines.push(`heartbeat: ${heartbeatKey(app, toSafeKeyPart(target))}`);
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  }
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

process.exitCode = main(process.argv.slice(2));
