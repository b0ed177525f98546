import { RUNTIME_TOKEN } from './runtime.js';
import { SlowEntry, SlowKind } from './schema/entries.js';
import { HostState } from './schema/host-state.js';

const KNOWN_KINDS: ReadonlySet<string> = new Set(SlowKind.anyOf.map((literal) => literal.const));
const ENTRY_FIELDS: ReadonlySet<string> = new Set(Object.keys(SlowEntry.properties));
const HOST_FIELDS: ReadonlySet<string> = new Set(Object.keys(HostState.properties));

/**
 * The name a field added by a newer writer has: snake_case, as every GPP field. A reader drops such a field;
 * anything else (`__proto__`, `Name`, spaces) is still rejected, as it is not a newer writer's field but a broken one.
 */
export const FIELD_TOKEN = /^[a-z][a-z0-9_]{0,63}$/;

export function isKnownSlowKind(value: string): value is SlowKind {
  return KNOWN_KINDS.has(value);
}

type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Drops the fields a newer writer added; returns how many. */
function dropUnknownFields(fields: Fields, known: ReadonlySet<string>): number {
  let dropped = 0;
  for (const key of Object.keys(fields)) {
    if (known.has(key) || !FIELD_TOKEN.test(key)) continue;
    delete fields[key];
    dropped++;
  }
  return dropped;
}

/**
 * The reader's rule for a slow entry from a newer writer (README, "Readers and newer writers"): a `kind` this
 * version does not list, if it is a token (the shape of a runtime name, `RUNTIME_TOKEN`), is read as `other`; a field
 * it does not know, in the entry or in its `host`, if its name is a `FIELD_TOKEN`, is dropped. What is left is
 * validated as strictly as a writer's entry, so a broken value of a known field is still rejected. A `host` that held
 * only figures this version does not know is dropped as a whole (a `host` holds at least one figure). Writers still validate strictly.
 * Changes a freshly parsed payload in place; anything that is not an object is left for the schema to reject.
 */
export function tolerateNewerSlowEntry(value: unknown): void {
  if (!isObject(value)) return;
  const kind = value.kind;
  if (typeof kind === 'string' && !KNOWN_KINDS.has(kind) && RUNTIME_TOKEN.test(kind)) value.kind = 'other';
  dropUnknownFields(value, ENTRY_FIELDS);
  const host = value.host;
  if (!isObject(host)) return;
  if (dropUnknownFields(host, HOST_FIELDS) > 0 && Object.keys(host).length === 0) delete value.host;
}
