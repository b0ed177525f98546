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
