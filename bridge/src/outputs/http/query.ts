import { isSafeKeyPart } from '@gravito/pulse-protocol';

/** A bad query parameter: answered 400 with `{ error, parameter }`. */
export class QueryError extends Error {
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
  }
}

type Query = Record<string, unknown>;

function single(query: Query, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new QueryError(name, `${name} must be given once, as a plain value`);
  return value;
}

export function appParam(query: Query, required: boolean): string | undefined {
  const app = single(query, 'app');
  if (app === undefined || app === '') {
    if (required) throw new QueryError('app', 'app is required (a key-safe app name: 1 to 64 characters of [A-Za-z0-9._-])');
    return undefined;
  }
  if (!isSafeKeyPart(app)) throw new QueryError('app', 'app must be a key-safe app name: 1 to 64 characters of [A-Za-z0-9._-]');
  return app;
}

export function intParam(query: Query, name: string, min: number, max: number, fallback: number): number {
  const raw = single(query, name);
  if (raw === undefined || raw === '') return fallback;
  if (!/^[0-9]{1,16}$/.test(raw)) throw new QueryError(name, `${name} must be an integer from ${min} to ${max}`);
  const value = Number(raw);
  if (value < min || value > max) throw new QueryError(name, `${name} must be an integer from ${min} to ${max}`);
  return value;
}

/** `name=a,b,c`: 1 to `max` distinct key-safe names; undefined when absent or empty. */
export function appListParam(query: Query, name: string, max: number): string[] | undefined {
  const raw = single(query, name);
  if (raw === undefined || raw === '') return undefined;
  const names = raw.split(',');
  const rule = `${name} must be 1 to ${max} comma-separated key-safe app names (1 to 64 characters of [A-Za-z0-9._-] each)`;
  if (names.length > max || !names.every(isSafeKeyPart)) throw new QueryError(name, rule);
  return names;
}

/** One of `values`; `fallback` when absent or empty. */
export function enumParam<T extends string>(query: Query, name: string, values: readonly T[], fallback: T): T {
  const raw = single(query, name);
  if (raw === undefined || raw === '') return fallback;
  if (!(values as readonly string[]).includes(raw)) throw new QueryError(name, `${name} must be one of ${values.join(', ')}`);
  return raw as T;
}
