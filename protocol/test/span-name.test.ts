// The span naming rule that the Node exporter and the OTLP mapping share (src/span-naming): what each kind of span is
// grouped by, from current and older semantic-convention names. The statement normalization has its own file
// (statement.test.ts); the OTLP vectors run the same rule through the mapping.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRawUrl, NameGroups, outgoingTarget, type SpanAttributes, spanName, spanRules, TEXT_LIMITS } from '../src/index.js';

const NO_GROUPS = new NameGroups([]);
const name = (role: Parameters<typeof spanName>[0], title: string, a: SpanAttributes, groups = NO_GROUPS) =>
  spanName(role, title, a, groups);

describe('spanName: one grouping rule for every reader of spans', () => {
  it('names a SERVER span by method and http.route, never by its path; old names too', () => {
    assert.deepEqual(
      name('server', 'GET /orders/42', {
        'http.request.method': 'GET',
        'http.route': '/orders/:id',
        'url.path': '/orders/42',
        'http.response.status_code': 404,
      }),
      { kind: 'request', name: 'GET /orders/:id', match: '/orders/:id', route: '/orders/:id', method: 'GET', status: 404 },
    );
    const old = name('server', '/orders/42', { 'http.method': 'POST', 'http.status_code': '201' });
    assert.deepEqual([old.name, old.match, old.route, old.status], ['POST', 'POST', undefined, 201]);
    assert.equal(name('server', 'checkout', {}).name, 'checkout', 'a span name that is no URL stays');
    // An empty name says no more than a raw URL (both readers fall back to the attributes).
    assert.equal(name('server', '', {}).name, 'HTTP');
    assert.equal(name('server', 'x', { 'http.status_code': 42 }).status, undefined, 'not an HTTP status');
  });

  it('names a CONSUMER span as a job, by its span name unless that is a URL', () => {
    assert.deepEqual(name('consumer', 'send-email', {}), { kind: 'job', name: 'send-email', match: 'send-email', route: 'send-email' });
    assert.equal(name('consumer', 'https://sqs.test/q?x=1', { 'messaging.destination.name': 'emails' }).name, 'emails');
    assert.equal(name('consumer', '', {}).name, 'job');
  });

  it('names a CLIENT database call a query by its normalized statement, with where it was made', () => {
    const current = name('client', 'SELECT', {
      'db.system.name': 'postgresql',
      'db.query.text': "SELECT * FROM t WHERE a = 'x' AND b IN (1, 2)",
      'code.file.path': '/srv/app.py',
      'code.line.number': 7,
    });
    assert.deepEqual(current, {
      kind: 'query',
      name: 'SELECT * FROM t WHERE a = ? AND b IN (?)',
      match: 'SELECT * FROM t WHERE a = ? AND b IN (?)',
      location: '/srv/app.py:7',
    });
    const old = name('client', 'q', { 'db.system': 'mysql', 'db.statement': 'SELECT "x"', 'code.filepath': 'a.php', 'code.lineno': '3' });
    assert.deepEqual([old.name, old.location], ['SELECT ?', 'a.php:3']);
    assert.equal(name('client', 'GET', { 'db.system': 'redis', 'db.operation': 'GET' }).name, 'GET', 'no statement: the operation');
    const deep = name('client', 'q', { 'db.system': 'sqlite', 'code.file.path': `/${'d/'.repeat(400)}file.js` });
    assert.ok(deep.location?.startsWith('…') && deep.location.endsWith('file.js') && deep.location.length <= TEXT_LIMITS.location);
  });

  it('names a CLIENT HTTP call an outgoing request, METHOD host/path with ids collapsed, grouped by the user first', () => {
    const a = {
      'http.request.method': 'GET',
      'url.full': 'https://user:pw@api.test/users/42/orders/9f86d081884c7d65?page=2#x',
      'http.response.status_code': 200,
    };
    assert.deepEqual(name('client', 'GET', a), {
      kind: 'outgoing',
      name: 'GET api.test/users/:id/orders/:id',
      match: 'api.test/users/:id/orders/:id',
      method: 'GET',
      status: 200,
      location: undefined,
    });
    const parts = { 'http.method': 'PUT', 'net.peer.name': 'svc', 'net.peer.port': 8080, 'http.target': '/x/1?y' };
    assert.equal(name('client', 'PUT', parts).name, 'PUT svc:8080/x/:id');
    assert.equal(outgoingTarget({ 'server.address': 'svc', 'server.port': 443 }, NO_GROUPS), 'svc/');
    const groups = new NameGroups([{ pattern: /^api\.test\/users\/.*$/, replacement: 'api.test/users/*' }]);
    assert.equal(name('client', 'GET', a, groups).match, 'api.test/users/*');
    assert.equal(name('client', 'GET', { 'http.request.method': 'GET' }).name, 'GET', 'no host: the method alone');
  });

  it('leaves any other span as `other`, named by its route or its name', () => {
    assert.equal(name('client', 'grpc.Check', { 'rpc.system': 'grpc' }).kind, 'other');
    assert.deepEqual(name('other', 'work', { 'http.route': '/r' }), { kind: 'other', name: '/r', match: '/r', route: '/r' });
    assert.equal(name('other', '', {}).name, 'span');
    for (const raw of ['/users/42', 'GET /users/42', 'https://x.test/a', 'orders?id=1']) assert.ok(isRawUrl(raw), raw);
  });

  it('spanRules: the Node exporter’s defaults (1 s per kind, nothing ignored), or the given thresholds and globs', () => {
    const defaults = spanRules();
    for (const rules of [defaults.requests, defaults.queries, defaults.outgoing]) {
      assert.deepEqual([rules.record, rules.thresholds.defaultMs, rules.ignore.empty], [true, 1_000, true]);
    }
    const set = spanRules({ queryThresholdMs: 50, outgoingIgnore: ['127.0.0.1:*'] });
    assert.equal(set.queries.thresholds.thresholdFor('SELECT ?'), 50);
    assert.ok(set.outgoing.ignore.matches('127.0.0.1:9200/x') && !set.outgoing.ignore.matches('api.test/x'));
  });
});
