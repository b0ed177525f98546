// The OTLP mapping against its vectors (vectors/otlp/*.json): an OTLP JSON request in, GPP's Redis writes out. The
// same vectors go through the bridge's receiver in both encodings (bridge/test/otlp-vectors.test.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  errorsKey,
  heartbeatKey,
  type OtlpServerMemory,
  otlpHeartbeatTtlSeconds,
  otlpMetricsToHeartbeats,
  otlpSpanAttributes,
  otlpTracesToEntries,
  type SpanRules,
  slowKey,
  spanRules,
  ThresholdMatcher,
  validateErrorEntry,
  validateHeartbeat,
  validateSlowEntry,
} from '../src/index.js';

const load = (name: string) => JSON.parse(readFileSync(new URL(`../vectors/otlp/${name}.json`, import.meta.url), 'utf8'));
const metricVectors = load('metrics');
const traceVectors = load('traces');
const RULES = spanRules();

describe('OTLP metrics → heartbeats (vectors/otlp/metrics.json)', () => {
  for (const c of metricVectors.cases) {
    it(c.why, () => {
      const out = otlpMetricsToHeartbeats(c.request, {
        now: metricVectors.now,
        previous: () => c.previous as OtlpServerMemory | undefined,
      });
      const written = out.servers
        .filter((s) => s.heartbeat)
        .map((s) => ({
          key: heartbeatKey(s.app, s.id),
          ttl_seconds: otlpHeartbeatTtlSeconds(s.heartbeat?.meta.interval_ms ?? 0),
          value: s.heartbeat,
        }));
      assert.deepEqual(written, c.expected.heartbeats);
      for (const h of written) assert.ok(validateHeartbeat(h.value).ok, JSON.stringify(validateHeartbeat(h.value)));
      assert.equal(out.rejectedPoints, c.expected.rejected ?? 0);
      const missing = Object.fromEntries(out.servers.filter((s) => !s.heartbeat).map((s) => [`${s.app}/${s.id}`, s.missing]));
      assert.deepEqual(missing, c.expected.missing ?? {});
    });
  }

  it('never throws on hostile shapes: wrong types everywhere give nothing, not a crash', () => {
    const hostile = [
      null,
      1,
      'x',
      [],
      { resourceMetrics: {} },
      {
        resourceMetrics: [
          null,
          1,
          {
            resource: 'x',
            scopeMetrics: [
              { metrics: [null, { name: 1 }, { name: 'process.memory.usage', gauge: { dataPoints: [null, 'x', { asInt: {} }] } }] },
            ],
          },
        ],
      },
    ];
    for (const request of hostile)
      assert.doesNotThrow(() => otlpMetricsToHeartbeats(request as never, { now: 1, previous: () => undefined }));
  });

  it('an export sooner than half the interval (a flush at shutdown) keeps the interval; two in a row shrink it', () => {
    const c = metricVectors.cases[0];
    const at = (ms: number) => JSON.parse(JSON.stringify(c.request).replaceAll('"1764399999000000000"', `"${ms}000000"`));
    const run = (ms: number, previous: OtlpServerMemory) =>
      otlpMetricsToHeartbeats(at(ms), { now: ms, previous: () => previous }).servers[0]?.memory as OtlpServerMemory;
    const steady = { collectedMs: 1_764_399_990_000, intervalMs: 10_000 };
    const early = run(1_764_399_992_000, steady);
    assert.deepEqual([early.intervalMs, early.early], [10_000, true]);
    assert.equal(run(1_764_399_994_000, early).intervalMs, 2_000);
  });
});

describe('OTLP traces → slow and error entries (vectors/otlp/traces.json)', () => {
  for (const c of traceVectors.cases) {
    it(c.why, () => {
      const out = otlpTracesToEntries(c.request, { rules: RULES });
      const slow = out.entries.filter((e) => e.type === 'slow').map((e) => ({ key: slowKey(e.app), entry: e.entry }));
      const errors = out.entries
        .filter((e) => e.type === 'error')
        .map((e) => ({ key: errorsKey(e.app), score: e.entry.timestamp, entry: e.entry }));
      assert.deepEqual(slow, c.expected.slow);
      assert.deepEqual(errors, c.expected.errors);
      for (const e of out.entries) assert.ok(e.type === 'slow' ? validateSlowEntry(e.entry).ok : validateErrorEntry(e.entry).ok);
      assert.equal(out.rejectedSpans, c.expected.rejected ?? 0);
    });
  }

  it('thresholds and ignore patterns are the Node exporter’s (the protocol’s one copy), per kind', () => {
    const request = traceVectors.cases[0].request;
    assert.equal(otlpTracesToEntries(request, { rules: spanRules({ ignore: ['/orders/*'] }) }).entries.length, 0);
    const higher = {
      ...RULES,
      requests: { ...RULES.requests, thresholds: new ThresholdMatcher([{ pattern: /^\/orders\//, ms: 2_000 }], 1_000) },
    };
    assert.equal(otlpTracesToEntries(request, { rules: higher }).entries.length, 0);
    assert.equal(otlpTracesToEntries(request, { rules: spanRules({ thresholdMs: 1_300 }) }).entries.length, 0);
    // A query's and an outgoing request's own threshold and ignore list, matched by statement and by target.
    const client = traceVectors.cases.find((c: { why: string }) => c.why.startsWith('CLIENT spans, current')).request;
    const kinds = (rules: SpanRules) =>
      otlpTracesToEntries(client, { rules })
        .entries.map((e) => (e.type === 'slow' ? e.entry.kind : 'error'))
        .sort();
    assert.deepEqual(kinds(RULES), ['outgoing', 'query']);
    assert.deepEqual(kinds(spanRules({ queryThresholdMs: 60_000 })), ['outgoing']);
    assert.deepEqual(kinds(spanRules({ queryIgnore: ['SELECT * FROM orders*'] })), ['outgoing']);
    assert.deepEqual(kinds(spanRules({ outgoingThresholdMs: 60_000 })), ['query']);
    assert.deepEqual(kinds(spanRules({ outgoingIgnore: ['api.example.com/*'] })), ['query']);
  });

  it('what is recorded is the Node exporter’s switches: slow off turns off queries and outgoing requests too', () => {
    const client = traceVectors.cases.find((c: { why: string }) => c.why.startsWith('CLIENT spans, current')).request;
    const server = traceVectors.cases[0].request;
    const exceptions = traceVectors.cases.find((c: { why: string }) => c.why.startsWith('exception events')).request;
    const types = (request: unknown, rules: SpanRules) =>
      otlpTracesToEntries(request as Parameters<typeof otlpTracesToEntries>[0], { rules })
        .entries.map((e) => (e.type === 'slow' ? e.entry.kind : 'error'))
        .sort();
    assert.deepEqual(types(client, spanRules({ recordQueries: false })), ['outgoing']);
    assert.deepEqual(types(client, spanRules({ recordOutgoing: false })), ['query']);
    assert.deepEqual(types(client, spanRules({ recordSlow: false })), []);
    assert.deepEqual(types(server, spanRules({ recordSlow: false })), []);
    assert.deepEqual(types(server, spanRules({ recordQueries: false, recordOutgoing: false })), ['request']);
    // Exceptions have their own switch: on, the vector's events are errors; off, none is, and slow spans still are.
    const errors = types(exceptions, RULES).filter((t) => t === 'error');
    assert.ok(errors.length > 0);
    assert.deepEqual(
      types(exceptions, spanRules({ recordErrors: false })),
      types(exceptions, RULES).filter((t) => t !== 'error'),
    );
    assert.deepEqual(types(exceptions, spanRules({ recordSlow: false })), errors);
  });

  it('an attribute list read once: the first of a repeated key wins, and no key reaches Object.prototype', () => {
    const a = otlpSpanAttributes([
      { key: 'http.route', value: { stringValue: '/a' } },
      { key: 'http.route', value: { stringValue: '/b' } },
      { key: '__proto__', value: { stringValue: 'x' } },
      { key: 'n', value: { intValue: '7' } },
      { key: 'list', value: { arrayValue: { values: [] } } },
    ]);
    assert.deepEqual([a['http.route'], a.n, a.list, Object.getPrototypeOf(a)], ['/a', 7, undefined, null]);
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });

  it('never throws on hostile shapes', () => {
    const hostile = [
      null,
      { resourceSpans: 'x' },
      {
        resourceSpans: [
          {
            resource: {
              attributes: [
                { key: 'service.name', value: { stringValue: 'a' } },
                { key: 'service.instance.id', value: { stringValue: 'b' } },
              ],
            },
            scopeSpans: [
              {
                spans: [
                  null,
                  1,
                  { kind: 2, startTimeUnixNano: 'x' },
                  { kind: 2, startTimeUnixNano: '1', endTimeUnixNano: '9999999999', events: 'x', traceId: 5 },
                ],
              },
            ],
          },
        ],
      },
    ];
    for (const request of hostile) assert.doesNotThrow(() => otlpTracesToEntries(request as never, { rules: RULES }));
  });
});
