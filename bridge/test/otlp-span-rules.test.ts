// The OTLP receiver's thresholds and ignore patterns, set as for the Node exporter (the protocol's SPAN_RULE_ENV
// names): read from the environment, then applied to what a client sends.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { errorsKey, parseSlowStreamFields, SPAN_RULE_ENV, slowKey } from '@gravito/pulse-protocol';
import { ConfigError, loadConfig } from '../src/config/config.js';
import { suiteRedisAndBridge } from './helpers.js';

describe('OTLP span rules from the environment', () => {
  it('reads the Node exporter’s variables: one threshold and one ignore list per kind', () => {
    const config = loadConfig({
      PULSE_THRESHOLD_MS: '2500',
      PULSE_QUERY_THRESHOLD_MS: '300',
      PULSE_OUTGOING_THRESHOLD_MS: '0',
      PULSE_IGNORE: '/health, /metrics,',
      PULSE_QUERY_IGNORE: 'SELECT ? FROM dual',
      PULSE_OUTGOING_IGNORE: '127.0.0.1:*',
    });
    assert.deepEqual([config.otlpThresholdMs, config.otlpQueryThresholdMs, config.otlpOutgoingThresholdMs], [2_500, 300, 0]);
    assert.deepEqual(
      [config.otlpIgnore, config.otlpQueryIgnore, config.otlpOutgoingIgnore],
      [['/health', '/metrics'], ['SELECT ? FROM dual'], ['127.0.0.1:*']],
    );
    // The names are the protocol's, which the exporter's register entry reads too.
    assert.deepEqual(Object.values(SPAN_RULE_ENV).sort(), [
      'PULSE_IGNORE',
      'PULSE_OUTGOING_IGNORE',
      'PULSE_OUTGOING_THRESHOLD_MS',
      'PULSE_QUERY_IGNORE',
      'PULSE_QUERY_THRESHOLD_MS',
      'PULSE_RECORD_ERRORS',
      'PULSE_RECORD_OUTGOING',
      'PULSE_RECORD_QUERIES',
      'PULSE_RECORD_SLOW',
      'PULSE_THRESHOLD_MS',
    ]);
  });

  it('reads the Node exporter’s record switches, all on by default, and refuses one that is not a switch', () => {
    const defaults = loadConfig({});
    assert.deepEqual(
      [defaults.otlpRecordSlow, defaults.otlpRecordQueries, defaults.otlpRecordOutgoing, defaults.otlpRecordErrors],
      [true, true, true, true],
    );
    const off = loadConfig({ PULSE_RECORD_QUERIES: 'false', PULSE_RECORD_ERRORS: '0' }, ['--otlp-record-outgoing', 'off']);
    assert.deepEqual(
      [off.otlpRecordSlow, off.otlpRecordQueries, off.otlpRecordOutgoing, off.otlpRecordErrors],
      [true, false, false, false],
    );
    assert.throws(() => loadConfig({ PULSE_RECORD_SLOW: 'sometimes' }), /PULSE_RECORD_SLOW="sometimes" is not a switch/);
  });

  it('defaults to the Node exporter’s (1 s, nothing ignored) and refuses a bad threshold with one line', () => {
    const config = loadConfig({});
    assert.deepEqual([config.otlpThresholdMs, config.otlpQueryThresholdMs, config.otlpIgnore], [1_000, 1_000, []]);
    assert.throws(() => loadConfig({ PULSE_QUERY_THRESHOLD_MS: 'fast' }), ConfigError);
    assert.throws(() => loadConfig({ PULSE_THRESHOLD_MS: '-1' }), /PULSE_THRESHOLD_MS=-1 is out of range/);
    assert.equal(loadConfig({}, ['--otlp-outgoing-threshold-ms', '5000']).otlpOutgoingThresholdMs, 5_000);
  });
});

const traces = JSON.parse(readFileSync(new URL('../../protocol/vectors/otlp/traces.json', import.meta.url), 'utf8'));

/** The request of the traces vector whose description starts so, its times moved to the present. */
function vectorRequest(why: string) {
  const vector = traces.cases.find((c: { why: string }) => c.why.startsWith(why));
  const shift = BigInt(Date.now() - traces.now) * 1_000_000n;
  return JSON.parse(JSON.stringify(vector.request), (key, value) =>
    key.endsWith('UnixNano') && typeof value === 'string' ? String(BigInt(value) + shift) : value,
  );
}

const postTraces = (url: string, request: unknown) =>
  fetch(`${url}/v1/traces`, { method: 'POST', body: JSON.stringify(request), headers: { 'content-type': 'application/json' } });

describe('OTLP span rules applied by the receiver', () => {
  // The query (2.5 s) and the outgoing request (3.25 s) of the CLIENT vector.
  const request = vectorRequest('CLIENT spans, current');
  const { otlpQueryThresholdMs, otlpOutgoingIgnore } = loadConfig({
    PULSE_QUERY_THRESHOLD_MS: '3000',
    PULSE_OUTGOING_IGNORE: 'api.example.com/v2/*',
  });
  const suite = suiteRedisAndBridge(200, { otlp: true, otlpQueryThresholdMs, otlpOutgoingIgnore });

  // With the default rules the same request writes both (bridge/test/otlp-vectors.test.ts).
  it('a query under its own threshold and an ignored target write nothing', async () => {
    const { client, bridge } = suite;
    await client.del(slowKey('checkout'));
    assert.equal((await postTraces(bridge.url, request)).status, 200);
    assert.deepEqual(await client.xrange(slowKey('checkout'), '-', '+'), []);
  });

  it('a query over its own threshold is written, named as the Node exporter names it', async () => {
    const { client, bridge } = suite;
    await client.del(slowKey('checkout'));
    const slower = JSON.parse(JSON.stringify(request));
    const query = slower.resourceSpans[0].scopeSpans[0].spans[0];
    query.endTimeUnixNano = String(BigInt(query.startTimeUnixNano) + 3_500_000_000n);
    assert.equal((await postTraces(bridge.url, slower)).status, 200);
    const written = (await client.xrange(slowKey('checkout'), '-', '+')).map(([, f]) => parseSlowStreamFields(f));
    assert.deepEqual(
      written.map((w) => (w.ok ? [w.value.kind, w.value.name, w.value.threshold_ms] : w.error)),
      [['query', 'SELECT * FROM orders WHERE email = ? AND id IN (?)', 3_000]],
    );
  });
});

describe('OTLP record switches applied by the receiver', () => {
  const { otlpRecordQueries, otlpRecordErrors } = loadConfig({ PULSE_RECORD_QUERIES: '0', PULSE_RECORD_ERRORS: 'off' });
  const suite = suiteRedisAndBridge(200, { otlp: true, otlpRecordQueries, otlpRecordErrors });

  // With the default switches the same requests write the query and the exception (bridge/test/otlp-vectors.test.ts).
  it('with queries and exceptions off, a slow query and an exception write nothing; a slow outgoing request still does', async () => {
    const { client, bridge } = suite;
    await client.del(slowKey('checkout'), errorsKey('checkout'));
    for (const why of ['CLIENT spans, current', 'exception events'])
      assert.equal((await postTraces(bridge.url, vectorRequest(why))).status, 200);
    const written = (await client.xrange(slowKey('checkout'), '-', '+')).map(([, f]) => parseSlowStreamFields(f));
    assert.deepEqual(
      written.map((w) => (w.ok ? w.value.kind : w.error)),
      ['outgoing'],
    );
    assert.equal(await client.zcard(errorsKey('checkout')), 0);
  });
});
