import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { type ErrorEntry, errorsKey, parseErrorMember, parseSlowStreamFields, type SlowEntry, slowKey } from '@gravito/pulse-protocol';
import { eventually, startRedis, type TestRedis } from '@gravito/pulse-testkit';
import { context, createTraceState, propagation, ROOT_CONTEXT, type Sampler, SpanKind } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  type IdGenerator,
  InMemorySpanExporter,
  ParentBasedSampler,
  RandomIdGenerator,
  SamplingDecision,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { Redis } from 'ioredis';
import { createPulse, type Pulse, recordUnsampled } from '../src/index.js';
import { uniqueApp } from './helpers.js';

// recordUnsampled: Pulse sees every request, whatever the trace's sampling decision, and what the user's own span
// exporter receives does not change. A real Express app in this process (HTTP and Express instrumentations), real
// HTTP, real Redis, the SDK's own samplers, span processor and in-memory exporter next to Pulse's processor.

const SLOW_MS = 100;
const SPAN_ID = '00f067aa0ba902b7';
const traceId = () => randomBytes(16).toString('hex');
const traceparent = (trace: string, sampled: boolean) => `00-${trace}-${SPAN_ID}-${sampled ? '01' : '00'}`;
const oneInAHundred = () => new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.01) });

describe('recordUnsampled, the sampler alone', () => {
  const decisions = (decision: SamplingDecision): Sampler => ({
    shouldSample: () => ({ decision, attributes: { 'inner.said': decision }, traceState: createTraceState('vendor=1') }),
    toString: () => 'Stub',
  });
  const ask = (sampler: Sampler) => sampler.shouldSample(ROOT_CONTEXT, traceId(), 'GET', SpanKind.SERVER, {}, []);

  it("turns the inner sampler's NOT_RECORD into RECORD (recording, not sampled), keeping its attributes and trace state", () => {
    const result = ask(recordUnsampled(decisions(SamplingDecision.NOT_RECORD)));
    assert.equal(result.decision, SamplingDecision.RECORD);
    assert.deepEqual(result.attributes, { 'inner.said': SamplingDecision.NOT_RECORD });
    assert.equal(result.traceState?.serialize(), 'vendor=1');
  });

  it("leaves the inner sampler's other decisions as they are, and names it", () => {
    for (const decision of [SamplingDecision.RECORD, SamplingDecision.RECORD_AND_SAMPLED]) {
      assert.equal(ask(recordUnsampled(decisions(decision))).decision, decision);
    }
    assert.equal(recordUnsampled(decisions(SamplingDecision.RECORD)).toString(), 'RecordUnsampled{Stub}');
  });

  it("defaults to NodeSDK's own sampler: OTEL_TRACES_SAMPLER and its argument, else ParentBased(AlwaysOn)", () => {
    const saved = { sampler: process.env.OTEL_TRACES_SAMPLER, arg: process.env.OTEL_TRACES_SAMPLER_ARG };
    try {
      delete process.env.OTEL_TRACES_SAMPLER;
      assert.equal(recordUnsampled().toString(), `RecordUnsampled{${new ParentBasedSampler({ root: new AlwaysOnSampler() })}}`);
      process.env.OTEL_TRACES_SAMPLER = 'parentbased_traceidratio';
      process.env.OTEL_TRACES_SAMPLER_ARG = '0.01';
      assert.equal(recordUnsampled().toString(), `RecordUnsampled{${oneInAHundred()}}`);
    } finally {
      for (const [name, value] of [
        ['OTEL_TRACES_SAMPLER', saved.sampler],
        ['OTEL_TRACES_SAMPLER_ARG', saved.arg],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

/** A TracerProvider with Pulse's span processor and, beside it, the user's exporter (SimpleSpanProcessor). */
interface Pipeline {
  readonly appName: string;
  readonly pulse: Pulse;
  readonly exported: InMemorySpanExporter;
  readonly provider: NodeTracerProvider;
}

describe('recordUnsampled in an instrumented Express app', () => {
  let redis: TestRedis;
  let client: Redis;
  let url: string;
  let close: () => void;
  let pipeline: Pipeline | undefined;
  const instrumentations = [new HttpInstrumentation(), new ExpressInstrumentation()];
  // The globals the instrumentations need (an active-span context, traceparent extraction), set only when no
  // other test file of this process set them already, and then unset at the end.
  let ownContextManager = false;
  let ownPropagator = false;

  before(async () => {
    redis = await startRedis();
    client = redis.client();
    ownContextManager = context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    ownPropagator = propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    for (const instrumentation of instrumentations) instrumentation.enable();
    // Loaded through require() only now, so that the instrumentations patch it.
    const express = createRequire(import.meta.url)('express') as typeof import('express');
    const app = express();
    app.get('/slow/:id', async (_req, res) => {
      await new Promise((resolve) => setTimeout(resolve, SLOW_MS + 20));
      res.json({ ok: true });
    });
    app.get('/error', () => {
      throw new TypeError('failure from /error');
    });
    app.use((err: Error, _req: unknown, res: import('express').Response, _next: unknown) => {
      res.status(500).json({ error: err.message });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  afterEach(async () => {
    await pipeline?.provider.shutdown();
    await pipeline?.pulse.shutdown();
    pipeline = undefined;
  });
  after(async () => {
    close?.();
    for (const instrumentation of instrumentations) instrumentation.disable();
    if (ownContextManager) context.disable();
    if (ownPropagator) propagation.disable();
    await redis?.stop();
  });

  /** Sends the app's spans to a new TracerProvider with `sampler`. */
  function use(sampler: Sampler, idGenerator?: IdGenerator): Pipeline {
    const appName = uniqueApp('sampling');
    const pulse = createPulse({ redis: redis.url, appName, thresholdMs: SLOW_MS, flushIntervalMs: 50 });
    const exported = new InMemorySpanExporter();
    const provider = new NodeTracerProvider({
      resource: resourceFromAttributes({ 'service.name': appName }),
      sampler,
      idGenerator,
      spanProcessors: [pulse.spanProcessor, new SimpleSpanProcessor(exported)],
    });
    for (const instrumentation of instrumentations) instrumentation.setTracerProvider(provider);
    pipeline = { appName, pulse, exported, provider };
    return pipeline;
  }

  const request = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}${path}`, { headers, signal: AbortSignal.timeout(5_000) });
    await res.arrayBuffer();
    return res.status;
  };

  const slowEntries = async (p: Pipeline): Promise<SlowEntry[]> =>
    (await client.xrange(slowKey(p.appName), '-', '+')).map(([, fields]) => {
      const parsed = parseSlowStreamFields(fields);
      assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
      return parsed.value;
    });

  const errorEntries = async (p: Pipeline): Promise<ErrorEntry[]> =>
    (await client.zrange(errorsKey(p.appName), '0', '-1')).map((member) => {
      const parsed = parseErrorMember(member);
      assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
      return parsed.value;
    });

  /** Waits until Pulse wrote `count` slow entries, then gives them. */
  const slowEntriesOnceThere = (p: Pipeline, count: number) =>
    eventually(
      `${count} slow entries`,
      async () => {
        const entries = await slowEntries(p);
        return entries.length >= count && entries;
      },
      5_000,
    );

  const exportedTraceIds = (p: Pipeline) => new Set(p.exported.getFinishedSpans().map((s) => s.spanContext().traceId));

  it('a request whose traceparent says "not sampled" gives its slow entry and its exception; the exporter beside gets nothing of it', async () => {
    const p = use(recordUnsampled(new ParentBasedSampler({ root: new AlwaysOnSampler() })));
    const notSampled = traceId();
    const sampled = traceId();
    assert.equal(await request('/slow/1', { traceparent: traceparent(notSampled, false) }), 200);
    assert.equal(await request('/error', { traceparent: traceparent(notSampled, false) }), 500);
    // The control: the same requests in a sampled trace reach the exporter, so "nothing" above means something.
    assert.equal(await request('/slow/2', { traceparent: traceparent(sampled, true) }), 200);
    assert.equal(await request('/error', { traceparent: traceparent(sampled, true) }), 500);

    const slow = (await slowEntriesOnceThere(p, 2)).find((e) => e.trace_id === notSampled);
    assert.equal(slow?.name, 'GET /slow/:id');
    assert.ok((slow?.duration_ms ?? 0) >= SLOW_MS, JSON.stringify(slow));
    const error = await eventually(
      'the unsampled exception',
      async () => (await errorEntries(p)).find((e) => e.trace_id === notSampled),
      5_000,
    );
    assert.equal(error.type, 'TypeError');
    assert.equal(error.message, 'failure from /error');
    assert.equal(error.route, '/error');

    await p.provider.forceFlush();
    assert.deepEqual([...exportedTraceIds(p)], [sampled]);
    const names = p.exported.getFinishedSpans().map((s) => s.name);
    assert.ok(names.includes('GET /slow/:id') && names.includes('GET /error'), names.join(', '));
  });

  it('with a 1 % sampler, every one of 50 slow requests is recorded; the exporter gets exactly the traces the sampler chose', async () => {
    // Trace ids drawn at random and sorted by the 1 % sampler itself, so that the run holds sampled traces too
    // (50 random ids would hold none, most of the time); the app's root spans take them in turn.
    const sampler = oneInAHundred();
    const random = new RandomIdGenerator();
    const chosen: string[] = [];
    const dropped: string[] = [];
    while (chosen.length < 5 || dropped.length < 45) {
      const id = random.generateTraceId();
      const sampled =
        sampler.shouldSample(ROOT_CONTEXT, id, 'GET', SpanKind.SERVER, {}, []).decision === SamplingDecision.RECORD_AND_SAMPLED;
      if (sampled && chosen.length < 5) chosen.push(id);
      if (!sampled && dropped.length < 45) dropped.push(id);
    }
    const ids = [...chosen, ...dropped];
    const inTurn = (): IdGenerator => {
      let next = 0;
      return { generateTraceId: () => ids[next++ % ids.length] as string, generateSpanId: () => random.generateSpanId() };
    };
    const exportedSpans = (p: Pipeline) =>
      p.exported
        .getFinishedSpans()
        .map((s) => `${s.spanContext().traceId} ${s.name}`)
        .sort();
    const fiftyRequests = async () => {
      const statuses = await Promise.all(ids.map((_, i) => request(`/slow/${i}`)));
      assert.deepEqual(new Set(statuses), new Set([200]));
    };

    // Without Pulse's sampler: what the user's exporter receives today.
    const unwrapped = use(oneInAHundred(), inTurn());
    await fiftyRequests();
    await unwrapped.provider.forceFlush();
    const expected = exportedSpans(unwrapped);
    await unwrapped.provider.shutdown();
    await unwrapped.pulse.shutdown();

    const p = use(recordUnsampled(oneInAHundred()), inTurn());
    await fiftyRequests();
    const entries = await slowEntriesOnceThere(p, ids.length);
    assert.deepEqual(new Set(entries.map((e) => e.trace_id)), new Set(ids));
    await p.provider.forceFlush();
    assert.deepEqual(exportedTraceIds(p), new Set(chosen));
    assert.deepEqual(exportedSpans(p), expected);
  });
});
