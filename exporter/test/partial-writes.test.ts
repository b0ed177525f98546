import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errorsKey, parseErrorMember, parseSlowStreamFields, slowEntryIdentity, slowKey } from '@gravito/pulse-protocol';
import { eventually, startRedis, type TestRedis } from '@gravito/pulse-testkit';
import { SpanKind } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { type Cluster, Redis } from 'ioredis';
import { createPulse, type Pulse } from '../src/index.js';
import { connect } from '../src/redis/connection.js';
import { RedisWriter } from '../src/redis/writer.js';
import { RecorderStats } from '../src/stats.js';
import { failoverCluster, SKIP_WITHOUT_CLUSTER } from './failover-cluster.js';
import { sleep, uniqueApp } from './helpers.js';

// A flush that writes to several keys can partly succeed: one shard frozen or one key refused while the others
// answer. What succeeded is done and is never written again; only what failed or timed out is retried. A slow
// entry written twice would be a second stream entry (readers drop it only within 30 s, protocol "Repeats").

interface Recording {
  /** The slow spans' ids, one per slow entry made. */
  readonly spanIds: string[];
  /** The exceptions' messages, one per exception made. */
  readonly messages: string[];
  /** Idempotent. */
  stop(): Promise<void>;
}

/** An app that makes, every 50 ms, one slow job and one exception, until stopped. */
function record(pulse: Pulse, app: string): Recording {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': app }),
    spanProcessors: [pulse.spanProcessor],
  });
  const tracer = provider.getTracer('partial-writes');
  const spanIds: string[] = [];
  const messages: string[] = [];
  const producer = setInterval(() => {
    const n = spanIds.length;
    const slow = tracer.startSpan(`job-${n}`, { kind: SpanKind.CONSUMER, startTime: Date.now() - 200 });
    spanIds.push(slow.spanContext().spanId);
    slow.end();
    const failing = tracer.startSpan(`failing-${n}`, { kind: SpanKind.CONSUMER });
    failing.recordException(new Error(`boom ${n}`));
    messages.push(`boom ${n}`);
    failing.end();
  }, 50);
  let stopped: Promise<void> | undefined;
  return {
    spanIds,
    messages,
    stop() {
      clearInterval(producer);
      stopped ??= provider.shutdown();
      return stopped;
    },
  };
}

/** Every slow entry in the app's stream, repeats included, as its span id and its identity (`slowEntryIdentity`). */
async function slowEntries(client: Redis | Cluster, app: string): Promise<{ spanIds: string[]; identities: string[] }> {
  const rows = await client.xrange(slowKey(app), '-', '+');
  const spanIds: string[] = [];
  const identities: string[] = [];
  for (const [, fields] of rows) {
    const parsed = parseSlowStreamFields(fields);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    spanIds.push(parsed.value.span_id ?? '');
    identities.push(slowEntryIdentity(parsed.value));
  }
  return { spanIds, identities };
}

async function errorMessages(client: Redis | Cluster, app: string): Promise<string[]> {
  return (await client.zrange(errorsKey(app), '0', '-1')).map((member) => {
    const parsed = parseErrorMember(member);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    return parsed.value.message;
  });
}

function repeated(values: readonly string[]): string[] {
  const seen = new Set<string>();
  return values.filter((value) => seen.has(value) || !seen.add(value));
}

/**
 * Waits until every entry `recording` made is in Redis (flushing meanwhile), then asserts the writer's contract:
 * each slow entry is in the stream exactly once, each exception is one member of the error set.
 */
async function assertWrittenOnce(pulse: Pulse, client: Redis | Cluster, app: string, recording: Recording): Promise<void> {
  const made = recording.spanIds.length;
  const written = await eventually(
    'every entry written',
    async () => {
      await pulse.forceFlush();
      const [slow, messages] = await Promise.all([slowEntries(client, app), errorMessages(client, app)]);
      return new Set(slow.spanIds).size === made && messages.length === made && { slow, messages };
    },
    20_000,
    { everyMs: 200 },
  );
  assert.deepEqual(repeated(written.slow.identities), [], 'no slow entry is in the stream twice');
  assert.deepEqual([...written.slow.spanIds].sort(), [...recording.spanIds].sort(), 'every slow entry, once');
  assert.deepEqual([...written.messages].sort(), [...recording.messages].sort(), 'every exception, once');
}

describe('partial writes on a real Redis Cluster: one shard frozen', { skip: SKIP_WITHOUT_CLUSTER }, () => {
  const cluster = failoverCluster();

  /** An app whose slow stream and error set live on different masters, so that one shard can fail alone. */
  const appOnTwoMasters = async (prefix: string): Promise<string> => {
    for (let i = 0; ; i++) {
      const app = uniqueApp(`${prefix}-${i}`);
      if ((await cluster.masterOf(slowKey(app))) !== (await cluster.masterOf(errorsKey(app)))) return app;
    }
  };

  /**
   * SIGSTOPs the node on `port` (the testkit's cluster can only kill one): its port stays open and its
   * connections hang, as a frozen server's do. Returns the resume.
   */
  const freeze = async (port: number): Promise<() => void> => {
    const node = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    node.on('error', () => {});
    let pid: number;
    try {
      pid = Number(/process_id:(\d+)/.exec(await node.info('server'))?.[1]);
    } finally {
      node.disconnect();
    }
    assert.ok(pid > 0, `the pid of the node on port ${port}`);
    process.kill(pid, 'SIGSTOP');
    return () => process.kill(pid, 'SIGCONT');
  };

  it("a write across two shards, one frozen: the other shard's commands succeed, only the frozen one's fail", async () => {
    const app = await appOnTwoMasters('writer');
    const stats = new RecorderStats();
    const timeoutMs = 500;
    const connection = connect(cluster.nodes.seeds, {}, { writeTimeoutMs: timeoutMs, maxBackoffMs: 200 });
    const writer = new RedisWriter(connection, stats, timeoutMs);
    const write = () =>
      writer.write([
        ['xadd', slowKey(app), '*', 'entry', 'x'],
        ['zadd', errorsKey(app), 1, 'x'],
      ]);
    try {
      await eventually('the cluster client to be ready', async () => (await write()).failed === 0, 10_000);
      const failedBefore = stats.failedWrites;
      // Frozen for about the write's bound, well under the node timeout: no failover.
      const resume = await freeze(await cluster.masterOf(errorsKey(app)));
      const started = Date.now();
      let outcome: Awaited<ReturnType<typeof write>>;
      try {
        outcome = await write();
      } finally {
        resume();
      }
      const tookMs = Date.now() - started;
      assert.deepEqual(outcome.results, [true, false], 'the XADD succeeded, the frozen ZADD did not');
      assert.equal(outcome.failed, 1);
      assert.equal(stats.failedWrites - failedBefore, 1, 'one partly failed write, counted');
      assert.ok(tookMs < timeoutMs + 1_000, `the write settled within its bound (${tookMs} ms)`);
      assert.equal(await cluster.reader.xlen(slowKey(app)), 2, 'the warm-up XADD and this one');
    } finally {
      connection.close();
    }
  });

  it("a master frozen 6 s: the frozen shard's writes are retried, the healthy shard's slow entries written once", async () => {
    const app = await appOnTwoMasters('frozen');
    const pulse = createPulse({ redis: cluster.nodes.seeds, appName: app, flushIntervalMs: 100, writeTimeoutMs: 1_000, thresholdMs: 100 });
    const recording = record(pulse, app);
    try {
      await sleep(500);
      // The error set's master stops answering: each flush's ZADD pipeline times out (until its replica takes
      // over), while the slow stream's XADD pipeline, on another master, answers at once.
      const resume = await freeze(await cluster.masterOf(errorsKey(app)));
      const frozenAt = recording.spanIds.length;
      try {
        await sleep(6_000);
      } finally {
        resume();
      }
      assert.ok(recording.spanIds.length - frozenAt >= 50, `entries were made while frozen (${recording.spanIds.length - frozenAt})`);
      await sleep(1_000);
      await recording.stop();
      await assertWrittenOnce(pulse, cluster.reader, app, recording);
      assert.equal(pulse.stats.droppedEntries, 0, 'nothing dropped');
      assert.ok(pulse.stats.failedWrites > 0, 'writes to the frozen shard failed, counted');
      assert.ok(pulse.stats.retriedEntries > 0, 'and their entries were retried, counted');
    } finally {
      await recording.stop();
      await pulse.shutdown();
    }
  });
});

describe('partial writes on a real Redis: one key refused (WRONGTYPE)', () => {
  let redis: TestRedis;
  let client: Redis;

  before(async () => {
    redis = await startRedis();
    client = redis.client();
  });

  after(async () => {
    await redis?.stop();
  });

  it('the exceptions are retried until the key is fixed; the slow entries of the same flushes are written once', async () => {
    const app = uniqueApp('wrongtype');
    // A string where the error set belongs: every ZADD of a flush fails with WRONGTYPE, its XADDs succeed.
    await client.set(errorsKey(app), 'not a sorted set');
    const pulse = createPulse({ redis: redis.url, appName: app, flushIntervalMs: 100, thresholdMs: 100 });
    const recording = record(pulse, app);
    try {
      await eventually('several flushes refused in part', async () => pulse.stats.failedWrites >= 3, 10_000);
      await client.del(errorsKey(app));
      await recording.stop();
      await assertWrittenOnce(pulse, client, app, recording);
      assert.equal(pulse.stats.droppedEntries, 0, 'nothing dropped');
      assert.ok(pulse.stats.retriedEntries > 0, 'the refused exceptions were retried, counted');
    } finally {
      await recording.stop();
      await pulse.shutdown();
    }
  });
});
