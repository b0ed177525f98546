import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { MAX_ERROR_ENTRY_BYTES, MAX_HEARTBEAT_BYTES, MAX_SLOW_ENTRY_BYTES } from './constants.js';
import { tolerateUnknownRuntime } from './runtime.js';
import { ErrorEntry, SlowEntry } from './schema/entries.js';
import { PulseHeartbeat } from './schema/heartbeat.js';
import { tolerateNewerSlowEntry } from './slow-entry-tolerance.js';

export type Validation<T> = { ok: true; value: T } | { ok: false; error: string };

export interface PayloadValidator<T> {
  /** The writer's check: a value an SDK is about to write. Strict. */
  validate(value: unknown): Validation<T>;
  /** The reader's check of a payload already parsed: the reader's documented leniency (in place), then the check. */
  read(value: unknown): Validation<T>;
  /** The reader's check: size-checks, parses and validates a raw payload read from Redis. Never throws. */
  parse(raw: string | Buffer | null | undefined): Validation<T>;
}

/** Size-checks and parses a raw payload read from Redis, before any schema check. Never throws. */
export function parseJson(raw: string | Buffer | null | undefined, name: string, maxBytes: number): Validation<unknown> {
  if (raw === null || raw === undefined) return { ok: false, error: `invalid ${name}: empty value` };
  if (raw.length > maxBytes) {
    return { ok: false, error: `invalid ${name}: ${raw.length} bytes is over the ${maxBytes}-byte limit` };
  }
  try {
    return { ok: true, value: JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8')) };
  } catch (err) {
    return { ok: false, error: `invalid ${name}: not JSON (${(err as Error).message})` };
  }
}

/**
 * Builds a validator from one TypeBox schema. The schema is compiled once, so a check is a
 * straight run of generated code; the error path is only walked for values that fail.
 * `tolerate`, when given, applies a reader's documented leniency to a parsed payload before the check.
 */
export function createValidator<S extends TSchema>(
  schema: S,
  name: string,
  maxBytes: number,
  tolerate?: (parsed: unknown) => void,
): PayloadValidator<Static<S>> {
  const compiled = TypeCompiler.Compile(schema);
  const validate = (value: unknown): Validation<Static<S>> => {
    if (compiled.Check(value)) return { ok: true, value };
    const first = compiled.Errors(value).First();
    const where = first?.path ? first.path : '/';
    return { ok: false, error: `invalid ${name} at ${where}: ${first?.message ?? 'does not match the schema'}` };
  };
  const read = (value: unknown): Validation<Static<S>> => {
    // A leniency only turns a value the check refuses into one it may accept (the schemas are closed: a value the
    // check accepts holds nothing a leniency changes), so most values are checked once and not walked again.
    if (compiled.Check(value)) return { ok: true, value };
    tolerate?.(value);
    return validate(value);
  };
  return {
    validate,
    read,
    parse(raw) {
      const parsed = parseJson(raw, name, maxBytes);
      return parsed.ok ? read(parsed.value) : parsed;
    },
  };
}

export const heartbeatValidator = createValidator(PulseHeartbeat, 'heartbeat', MAX_HEARTBEAT_BYTES, tolerateUnknownRuntime);
export const slowEntryValidator = createValidator(SlowEntry, 'slow entry', MAX_SLOW_ENTRY_BYTES, tolerateNewerSlowEntry);
export const errorEntryValidator = createValidator(ErrorEntry, 'error entry', MAX_ERROR_ENTRY_BYTES);

export const validateHeartbeat = heartbeatValidator.validate;
export const parseHeartbeat = heartbeatValidator.parse;
export const validateSlowEntry = slowEntryValidator.validate;
export const parseSlowEntry = slowEntryValidator.parse;
export const validateErrorEntry = errorEntryValidator.validate;
export const parseErrorEntry = errorEntryValidator.parse;
