import { attributePositiveInteger, attributeText, type SpanAttributes } from './attributes.js';
import type { NameGroups } from './name-groups.js';

/** Path segments that are values, not names: each becomes `:id`, so that `/users/42` and `/users/43` are one group. */
const ID_SEGMENTS = [
  /^\d+$/, // 42, 2024
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, // a UUID
  /^(?=.*\d)[0-9a-f]{8,}$/i, // hex with a digit: hashes, Mongo ObjectIds
  /^(?=.*\d)(?=.*[a-z])[a-z0-9_-]{16,}$/i, // long tokens of letters and digits: ULIDs, random keys
];

const collapseIds = (path: string) =>
  path
    .split('/')
    .map((segment) => (ID_SEGMENTS.some((id) => id.test(segment)) ? ':id' : segment))
    .join('/');

/** Ports the name leaves out: the scheme says them. */
const DEFAULT_PORTS = new Set([80, 443]);

/** `host[:port]` and path of an outgoing request, from `url.full` (or `http.url`), else from its parts. */
function hostAndPath(a: SpanAttributes): { host: string; path: string } | undefined {
  const url = attributeText(a['url.full']) ?? attributeText(a['http.url']);
  if (url !== undefined) {
    try {
      const parsed = new URL(url);
      return { host: parsed.host, path: parsed.pathname };
    } catch {
      // not an absolute URL: fall back to its parts
    }
  }
  const address = attributeText(a['server.address']) ?? attributeText(a['net.peer.name']);
  if (address === undefined) return undefined;
  const port = attributePositiveInteger(a['server.port']) ?? attributePositiveInteger(a['net.peer.port']);
  const path = (attributeText(a['url.path']) ?? attributeText(a['http.target']) ?? '/').replace(/[?#].*$/s, '');
  return { host: port === undefined || DEFAULT_PORTS.has(port) ? address : `${address}:${port}`, path };
}

/**
 * What an outgoing request is grouped by: `host/path`, without the scheme, credentials, query string or fragment.
 * The first of the user's `groups` that matches rewrites it (Laravel Pulse's rule); without one, ids in the path are
 * collapsed (`127.0.0.1:8080/users/:id`). `undefined` when the span names no host.
 */
export function outgoingTarget(a: SpanAttributes, groups: NameGroups): string | undefined {
  const where = hostAndPath(a);
  if (where === undefined) return undefined;
  const path = where.path === '' ? '/' : where.path;
  return groups.group(`${where.host}${path}`) ?? `${where.host}${collapseIds(path)}`;
}
