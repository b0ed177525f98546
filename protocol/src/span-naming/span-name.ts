import { TEXT_LIMITS } from '../constants.js';
import { truncateText } from '../text.js';
import { attributeHttpStatus, attributePositiveInteger, attributeText, type SpanAttributes } from './attributes.js';
import type { NameGroups } from './name-groups.js';
import { outgoingTarget } from './outgoing-target.js';
import { normalizeStatement } from './statement.js';

/**
 * The span kinds that the naming rule tells apart. OpenTelemetry's API and OTLP number span kinds differently
 * (`SpanKind.SERVER` is 1 in the API, 2 on the wire): each reader maps its own numbers to these.
 */
export type SpanRole = 'server' | 'client' | 'consumer' | 'other';

/** How a span is grouped: what Pulse shows, and what thresholds and `ignore` match. */
export interface SpanName {
  /** `other`: a span that gives no slow entry, only exceptions. */
  kind: 'request' | 'job' | 'query' | 'outgoing' | 'other';
  /** `GET /users/:id`, the job name, the normalized statement, `GET host/path`, or the span name of another span. */
  name: string;
  /** The key for thresholds and `ignore`: the route template of a request, the target (`host/path`) of an outgoing one, else the name. */
  match: string;
  route?: string;
  method?: string;
  status?: number;
  /** `path:line` of the code that made a query or an outgoing request, when its span says. */
  location?: string;
}

// "/users/42", "GET /users/42", "https://…": a raw URL would make every request its own group.
const RAW_URL = /^(?:[A-Za-z_]+\s+)?(?:[a-z][a-z0-9+.-]*:\/\/|\/)|\?/i;

/** A span name that is a URL or a path (with or without a method): never a grouping name. */
export function isRawUrl(text: string): boolean {
  return RAW_URL.test(text);
}

/** An empty span name says no more than a raw URL: both fall back to what the attributes say. */
const unusable = (title: string) => title === '' || RAW_URL.test(title);

/**
 * `path:line` of the code that made the call, from `code.file.path`/`code.line.number` (or the older
 * `code.filepath`/`code.lineno`). A path too long keeps its end, where the file name is.
 */
function codeLocation(a: SpanAttributes): string | undefined {
  const file = attributeText(a['code.file.path']) ?? attributeText(a['code.filepath']);
  if (file === undefined) return undefined;
  const line = attributePositiveInteger(a['code.line.number']) ?? attributePositiveInteger(a['code.lineno']);
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
function clientSpanName(title: string, a: SpanAttributes, groups: NameGroups): SpanName | undefined {
  const dbSystem = attributeText(a['db.system.name']) ?? attributeText(a['db.system']);
  if (dbSystem !== undefined) {
    const statement =
      attributeText(a['db.query.text']) ??
      attributeText(a['db.statement']) ??
      attributeText(a['db.operation.name']) ??
      attributeText(a['db.operation']) ??
      title;
    const name = normalizeStatement(statement, dbSystem);
    return { kind: 'query', name, match: name, location: codeLocation(a) };
  }
  const method = attributeText(a['http.request.method']) ?? attributeText(a['http.method']);
  if (method === undefined) return undefined;
  const target = outgoingTarget(a, groups);
  return {
    kind: 'outgoing',
    name: truncateText(target === undefined ? method : `${method} ${target}`, TEXT_LIMITS.name),
    match: target ?? method,
    method: truncateText(method, TEXT_LIMITS.method),
    status: attributeHttpStatus(a['http.response.status_code']) ?? attributeHttpStatus(a['http.status_code']),
    location: codeLocation(a),
  };
}

/**
 * The grouping name of a span of kind `role`, titled `title` (the span's name), for every reader of spans (the Node
 * exporter and the OTLP mapping): a SERVER span is a `request` named `METHOD route` by `http.route` (never by
 * `url.path`; without a route, the span name unless it is a raw URL, then the method alone); a CONSUMER span is a
 * `job` named by the span (or `messaging.destination.name` when the name is a URL); a CLIENT span is a `query` or an
 * `outgoing` request (`clientSpanName`); anything else is `other`. `groups` are the user's groups of outgoing requests.
 */
export function spanName(role: SpanRole, title: string, a: SpanAttributes, groups: NameGroups): SpanName {
  if (role === 'server') {
    const method = attributeText(a['http.request.method']) ?? attributeText(a['http.method']);
    const route = attributeText(a['http.route']);
    const status = attributeHttpStatus(a['http.response.status_code']) ?? attributeHttpStatus(a['http.status_code']);
    const shortMethod = method === undefined ? undefined : truncateText(method, TEXT_LIMITS.method);
    if (route !== undefined) {
      const r = truncateText(route, TEXT_LIMITS.route);
      return {
        kind: 'request',
        name: truncateText(method ? `${method} ${route}` : route, TEXT_LIMITS.name),
        match: r,
        route: r,
        method: shortMethod,
        status,
      };
    }
    const name = unusable(title) ? (method ?? 'HTTP') : title;
    return { kind: 'request', name: truncateText(name, TEXT_LIMITS.name), match: name, method: shortMethod, status };
  }
  if (role === 'consumer') {
    const name = truncateText(unusable(title) ? (attributeText(a['messaging.destination.name']) ?? 'job') : title, TEXT_LIMITS.name);
    return { kind: 'job', name, match: name, route: name };
  }
  if (role === 'client') {
    const client = clientSpanName(title, a, groups);
    if (client !== undefined) return client;
  }
  const route = attributeText(a['http.route']);
  const name = truncateText(route ?? (title || 'span'), TEXT_LIMITS.name);
  return { kind: 'other', name, match: name, route: route === undefined ? undefined : truncateText(route, TEXT_LIMITS.route) };
}
