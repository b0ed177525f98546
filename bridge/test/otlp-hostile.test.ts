// Hostile and broken bodies against the OTLP receiver: each refused with OTLP's status and counted, the bridge never
// crashes, and memory stays bounded (a 10 MB gzip bomb is inflated only up to the body cap).
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { startRedis, type TestRedis } from '@gravito/pulse-testkit';
import { OTLP_LIMITS } from '../src/sources/otlp/limits.js';
import { loadOtlpSchema } from '../src/sources/otlp/proto-schema.js';
import { startBridge } from './helpers.js';

const TOKEN = 'hostile-token';
const schema = loadOtlpSchema();
const PROTO = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

const kv = (key: string, value: string) => ({ key, value: { stringValue: value } });
const resource = (service: string) => ({ attributes: [kv('service.name', service), kv('service.instance.id', 'i-1')] });

function tracesWithAttributes(count: number): Uint8Array {
  const attributes = Array.from({ length: count }, (_, i) => kv(`k${i}`, 'v'));
  const request = { resourceSpans: [{ resource: resource('hostile'), scopeSpans: [{ spans: [{ name: 's', kind: 2, attributes }] }] }] };
  return schema.tracesRequest.encode(schema.tracesRequest.fromObject(request)).finish();
}

/** protobuf's varint. */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
const field = (number: number, bytes: Buffer) => Buffer.concat([Buffer.from([(number << 3) | 2, ...varint(bytes.length)]), bytes]);

/**
 * A traces request whose resource holds one attribute value nested `depth` levels (a list in a list …), written by
 * hand: protobufjs's own encoder refuses to build such a thing.
 */
function nestedValue(depth: number): Buffer {
  let value = field(1, Buffer.from('x')); // AnyValue.string_value
  for (let i = 0; i < depth; i++) value = field(5, field(1, value)); // AnyValue.array_value → ArrayValue.values
  const keyValue = Buffer.concat([field(1, Buffer.from('deep')), field(2, value)]);
  const resource = field(1, keyValue); // Resource.attributes
  return field(1, field(1, resource)); // ExportTraceServiceRequest.resource_spans → ResourceSpans.resource
}

describe('OTLP receiver: hostile bodies', () => {
  let redis: TestRedis;
  let bridge: Awaited<ReturnType<typeof startBridge>>;
  const post = (path: string, body: Uint8Array | string, headers: Record<string, string>) =>
    fetch(`${bridge.url}${path}`, { method: 'POST', body, headers: { authorization: `Bearer ${TOKEN}`, ...headers } });
  const events = () => (bridge.bridge.otlp as NonNullable<typeof bridge.bridge.otlp>).receiver.counts.values.traces;

  before(async () => {
    redis = await startRedis();
    bridge = await startBridge({ redisUrl: redis.url, otlp: true, token: TOKEN });
  });
  after(async () => {
    await bridge?.stop();
    await redis?.stop();
  });

  it('needs the token (OTEL_EXPORTER_OTLP_HEADERS carries it)', async () => {
    const res = await fetch(`${bridge.url}/v1/traces`, { method: 'POST', body: '{}', headers: { 'content-type': JSON_TYPE } });
    assert.equal(res.status, 401);
  });

  it('a truncated protobuf body is 400, answered as google.rpc.Status in protobuf', async () => {
    const whole = tracesWithAttributes(10);
    const res = await post('/v1/traces', whole.subarray(0, whole.length - 3), { 'content-type': PROTO });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('content-type'), PROTO);
    const status = schema.status.decode(new Uint8Array(await res.arrayBuffer())) as unknown as { code: number; message: string };
    assert.equal(status.code, 3);
    assert.match(status.message, /not an OTLP export request/);
    assert.ok(events().refused_not_otlp >= 1);
  });

  it('a JSON body that is not OTLP is 400; an unknown media type 415; unknown fields are ignored', async () => {
    assert.equal((await post('/v1/traces', '[1,2]', { 'content-type': JSON_TYPE })).status, 400);
    assert.equal((await post('/v1/traces', '{"resourceSpans":{}}', { 'content-type': JSON_TYPE })).status, 400);
    assert.equal((await post('/v1/traces', 'x', { 'content-type': 'text/plain' })).status, 415);
    const ok = await post('/v1/traces', JSON.stringify({ resourceSpans: [], somethingNew: { a: 1 } }), { 'content-type': JSON_TYPE });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), {});
  });

  it('100,000 attributes: 413, refused while decoding (protobuf and JSON)', async () => {
    const before = events().refused_attributes;
    const res = await post('/v1/traces', tracesWithAttributes(100_000), { 'content-type': PROTO });
    assert.equal(res.status, 413);
    const attributes = Array.from({ length: 100_000 }, (_, i) => ({ key: `${i}`, value: {} }));
    const request = { resourceSpans: [{ resource: resource('hostile'), scopeSpans: [{ spans: [{ attributes }] }] }] };
    const json = await post('/v1/traces', JSON.stringify(request), { 'content-type': JSON_TYPE });
    assert.equal(json.status, 413);
    assert.equal(events().refused_attributes, before + 2);
  });

  it('deeply nested values: 400 (protobuf at 10,000 levels, JSON at 1,000,000), the bridge still answers', async () => {
    const proto = await post('/v1/traces', nestedValue(10_000), { 'content-type': PROTO });
    assert.equal(proto.status, 400);
    const deepJson = `{"resourceSpans":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`;
    const json = await post('/v1/traces', deepJson, { 'content-type': JSON_TYPE });
    assert.ok(json.status === 400 || json.status === 413, `status ${json.status}`);
    assert.equal(await nestedOk(), 200);
    assert.ok(events().refused_depth >= 1);
  });
  const nestedOk = async () => (await post('/v1/traces', nestedValue(OTLP_LIMITS.valueDepth - 1), { 'content-type': PROTO })).status;

  it('invalid UTF-8: a JSON body is 400; a protobuf string becomes U+FFFD, never a crash', async () => {
    const bad = Buffer.concat([
      Buffer.from('{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}}]}}]}'),
    ]);
    assert.equal((await post('/v1/traces', bad, { 'content-type': JSON_TYPE })).status, 400);
    const encoded = Buffer.from(tracesWithAttributes(1));
    const at = encoded.indexOf(Buffer.from('hostile'));
    encoded[at] = 0xff;
    const res = await post('/v1/traces', encoded, { 'content-type': PROTO });
    assert.equal(res.status, 200);
  });

  it('a 10 MB gzip bomb: 413 after inflating at most the cap; memory bounded; other bodies over the cap too', async () => {
    const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024));
    assert.ok(bomb.length < 64 * 1024);
    const heapBefore = process.memoryUsage().arrayBuffers;
    const before = events().refused_body_bytes;
    const res = await post('/v1/traces', bomb, { 'content-type': PROTO, 'content-encoding': 'gzip' });
    assert.equal(res.status, 413);
    assert.ok(process.memoryUsage().arrayBuffers - heapBefore < 3 * OTLP_LIMITS.bodyBytes);
    const big = await post('/v1/traces', Buffer.alloc(OTLP_LIMITS.bodyBytes + 1), { 'content-type': PROTO });
    assert.equal(big.status, 413);
    assert.equal(events().refused_body_bytes, before + 2);
    const badGzip = await post('/v1/traces', Buffer.from('not gzip'), { 'content-type': PROTO, 'content-encoding': 'gzip' });
    assert.equal(badGzip.status, 400);
    assert.equal((await post('/v1/traces', 'x', { 'content-type': PROTO, 'content-encoding': 'br' })).status, 415);
  });

  it('a resource without service.name: 200 with partial_success, its spans rejected and counted', async () => {
    const request = { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: [{ name: 'a' }, { name: 'b' }] }] }] };
    const res = await post('/v1/traces', JSON.stringify(request), { 'content-type': JSON_TYPE });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { partialSuccess: { rejectedSpans: '2', errorMessage: 'no service.name on the resource' } });
    const proto = await post('/v1/traces', schema.tracesRequest.encode(schema.tracesRequest.fromObject(request)).finish(), {
      'content-type': PROTO,
    });
    const answer = schema.tracesResponse.decode(new Uint8Array(await proto.arrayBuffer())) as unknown as {
      partialSuccess: { rejectedSpans: unknown; errorMessage: string };
    };
    assert.equal(String(answer.partialSuccess.rejectedSpans), '2');
    assert.equal(answer.partialSuccess.errorMessage, 'no service.name on the resource');
  });

  it('too many requests at once: 429 with Retry-After', async () => {
    // Requests whose bodies never finish: each holds its place until the test ends them.
    const held = Array.from({ length: OTLP_LIMITS.concurrentRequests + 2 }, () => {
      const req = request(`${bridge.url}/v1/traces`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': PROTO, 'content-length': '1000' },
      });
      const answer = new Promise<{ status: number; retryAfter: string | undefined }>((resolve) => {
        req.on('response', (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined });
        });
        req.on('error', () => resolve({ status: 0, retryAfter: undefined }));
      });
      req.write('x');
      return { req, answer };
    });
    const first = await Promise.race(held.map((h) => h.answer));
    for (const h of held) h.req.destroy();
    const answers = [first];
    assert.deepEqual(answers, [{ status: 429, retryAfter: '1' }]);
    assert.ok(bridge.bridge.otlp && bridge.bridge.otlp.receiver.counts.values.traces.refused_busy >= 1);
  });
});
