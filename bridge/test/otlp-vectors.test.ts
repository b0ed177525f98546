// Every row of the protocol's OTLP vectors (protocol/vectors/otlp), sent to the bridge's receiver by hand, as OTLP
// JSON and as binary protobuf: the Redis entries written are the vector's.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { errorsKey, parseErrorMember, parseHeartbeat, parseSlowStreamFields, slowKey } from '@gravito/pulse-protocol';
import { startRedis, type TestRedis } from '@gravito/pulse-testkit';
import type { Redis } from 'ioredis';
import { loadOtlpSchema } from '../src/sources/otlp/proto-schema.js';
import { startBridge } from './helpers.js';

const load = (name: string) => JSON.parse(readFileSync(new URL(`../../protocol/vectors/otlp/${name}.json`, import.meta.url), 'utf8'));
const schema = loadOtlpSchema();
const traces = load('traces');

/** OTLP JSON → protobuf bytes: the same request, with hex ids as bytes (protobufjs reads a string as base64). */
function toProtobuf(signal: 'metrics' | 'traces', request: unknown): Uint8Array {
  const withBytes = JSON.parse(JSON.stringify(request), (key, value) =>
    (key === 'traceId' || key === 'spanId') && typeof value === 'string' ? Buffer.from(value, 'hex') : value,
  );
  const type = signal === 'metrics' ? schema.metricsRequest : schema.tracesRequest;
  return type.encode(type.fromObject(withBytes)).finish();
}

for (const encoding of ['json', 'protobuf'] as const) {
  describe(`OTLP vectors through the receiver, as ${encoding}`, () => {
    let redis: TestRedis;
    let client: Redis;
    let bridge: Awaited<ReturnType<typeof startBridge>>;

    before(async () => {
      redis = await startRedis();
      client = redis.client();
      bridge = await startBridge({ redisUrl: redis.url, otlp: true });
    });
    after(async () => {
      await bridge?.stop();
      await redis?.stop();
    });

    const post = (signal: 'metrics' | 'traces', encoding: 'json' | 'protobuf', request: unknown) =>
      fetch(`${bridge.url}/v1/${signal}`, {
        method: 'POST',
        body: encoding === 'json' ? JSON.stringify(request) : toProtobuf(signal, request),
        headers: { 'content-type': encoding === 'json' ? 'application/json' : 'application/x-protobuf' },
      });
    for (const c of load('metrics').cases) {
      it(`${encoding}, metrics: ${c.why.slice(0, 100)}`, async () => {
        const keys = c.expected.heartbeats.map((h: { key: string }) => h.key);
        if (keys.length > 0) await client.del(...keys);
        const receiver = bridge.bridge.otlp?.receiver;
        assert.ok(receiver);
        // What the receiver kept from the server's previous export (each encoding has a bridge of its own, so a
        // vector without one is the server's first export).
        if (c.previous) for (const key of keys) receiver.memory.set({ app: key.split(':')[2], id: key.split(':')[3] }, c.previous);
        const res = await post('metrics', encoding, c.request);
        assert.equal(res.status, 200);
        for (const expected of c.expected.heartbeats) {
          const read = parseHeartbeat(await client.get(expected.key));
          assert.ok(read.ok, read.ok ? '' : read.error);
          assert.deepEqual({ ...read.value, timestamp: 0 }, { ...expected.value, timestamp: 0 });
          assert.equal(await client.ttl(expected.key), expected.ttl_seconds);
        }
      });
    }
    for (const c of traces.cases) {
      it(`${encoding}, traces: ${c.why.slice(0, 100)}`, async () => {
        await client.del(slowKey('checkout'), errorsKey('checkout'));
        // Moved to the present, or the writer's one-hour trim of error sets would remove the vector's old errors.
        const shift = Math.floor((Date.now() - traces.now) / 1000) * 1000;
        const request = JSON.parse(JSON.stringify(c.request), (key, value) =>
          key.endsWith('UnixNano') && typeof value === 'string' ? String(BigInt(value) + BigInt(shift) * 1_000_000n) : value,
        );
        const moved = (entry: { timestamp: number }) => ({ ...entry, timestamp: entry.timestamp + shift });
        const res = await post('traces', encoding, request);
        assert.equal(res.status, 200);
        const slow = (await client.xrange(slowKey('checkout'), '-', '+')).map(([, f]) => {
          const parsed = parseSlowStreamFields(f);
          return parsed.ok ? parsed.value : parsed.error;
        });
        assert.deepEqual(
          slow,
          c.expected.slow.map((s: { entry: { timestamp: number } }) => moved(s.entry)),
        );
        // An error's id is derived from its time, which moved too: any 16 hex digits.
        const errors = (await client.zrange(errorsKey('checkout'), '0', '-1')).map((m) => {
          const parsed = parseErrorMember(m);
          assert.ok(parsed.ok);
          assert.match(parsed.value.id, /^[0-9a-f]{16}$/);
          return { ...parsed.value, id: '' };
        });
        assert.deepEqual(
          errors,
          c.expected.errors.map((e: { entry: { timestamp: number } }) => ({ ...moved(e.entry), id: '' })),
        );
        const body: { partialSuccess?: { rejectedSpans?: unknown } } =
          encoding === 'json'
            ? ((await res.json()) as { partialSuccess?: { rejectedSpans?: unknown } })
            : schema.tracesResponse.toObject(schema.tracesResponse.decode(new Uint8Array(await res.arrayBuffer())), { longs: String });
        assert.equal(String(body.partialSuccess?.rejectedSpans ?? 0), String(c.expected.rejected ?? 0));
      });
    }
  });
}
