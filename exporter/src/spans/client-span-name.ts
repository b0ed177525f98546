import { TEXT_LIMITS } from '@gravito/pulse-protocol';
import type { Attributes } from '@opentelemetry/api';
import type { NameGroups } from '../config/name-groups.js';
import { truncate } from '../identity.js';
import { httpStatus, positiveInteger, text } from './attributes.js';
import { outgoingTarget } from './outgoing-target.js';
import type { SpanName } from './span-mapper.js';
import type { ReadableSpan } from './span-types.js';
import { normalizeStatement } from './statement.js';

/**
 * `path:line` of the code that made the call, from `code.file.path`/`code.line.number` (or the older
 * `code.filepath`/`code.lineno`). A path too long keeps its end, where the file name is.
 */
function codeLocation(a: Attributes): string | undefined {
  const file = text(a['code.file.path']) ?? text(a['code.filepath']);
  if (file === undefined) return undefined;
  const line = positiveInteger(a['code.line.number']) ?? positiveInteger(a['code.lineno']);
  const where = line === undefined ? file : `${file}:${line}`;
  if (where.length <= TEXT_LIMITS.location) return where;
  const tail = where.slice(where.length - TEXT_LIMITS.location + 1);
  const code = tail.charCodeAt(0);
  return `…${code >= 0xdc00 && code <= 0xdfff ? tail.slice(1) : tail}`; // never half a surrogate pair
}

/**
 * A CLIENT span's grouping name: a database or cache call (`db.system.name`, or the older `db.system`) is a `query`
 * named by its normalized statement (`db.query.text` or `db.statement`; else its operation or span name, normalized
 * too), so that no literal of it is ever written; an HTTP call (`http.request.method`, or `http.method`) is an
 * `outgoing` request named `METHOD host/path` (see `outgoingTarget`). Any other CLIENT span is `undefined`.
 */
export function clientSpanName(span: ReadableSpan, groups: NameGroups): SpanName | undefined {
  const a = span.attributes;
  const dbSystem = text(a['db.system.name']) ?? text(a['db.system']);
  if (dbSystem !== undefined) {
    const statement =
      text(a['db.query.text']) ?? text(a['db.statement']) ?? text(a['db.operation.name']) ?? text(a['db.operation']) ?? span.name;
    const name = normalizeStatement(statement, dbSystem);
    return { kind: 'query', name, match: name, location: codeLocation(a) };
  }
  const method = text(a['http.request.method']) ?? text(a['http.method']);
  if (method === undefined) return undefined;
  const target = outgoingTarget(a, groups);
  return {
    kind: 'outgoing',
    name: truncate(target === undefined ? method : `${method} ${target}`, TEXT_LIMITS.name),
    match: target ?? method,
    method: truncate(method, TEXT_LIMITS.method),
    status: httpStatus(a['http.response.status_code']) ?? httpStatus(a['http.status_code']),
    location: codeLocation(a),
  };
}
