import type { WriteCommand } from '@gravito/pulse-protocol';
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { RecorderStats } from '../stats.js';
import type { PulseRedisClient, RedisConnection } from './connection.js';
import { deadline } from './deadline.js';

export interface WriteOutcome {
  /** Commands that did not succeed (all of them when nothing was sent). */
  failed: number;
  /** Per command, in the order given: true when it succeeded, false when it failed, timed out or was not sent. */
  results: boolean[];
}

/** One pipeline's replies, as ioredis gives them: `[error, result]` per command. */
type PipelineReplies = Awaited<ReturnType<ReturnType<PulseRedisClient['pipeline']>['exec']>>;

/**
 * The transport half: runs commands as pipelines. On a standalone server all commands of one
 * write go in one pipeline; on a Cluster they are grouped per key (one key is one slot), so no
 * pipeline ever crosses slots. Every call:
 * - runs under `suppressTracing`, so Pulse's own Redis traffic never becomes spans (and never
 *   becomes a child of the request span being ended);
 * - is skipped while the client is not ready;
 * - reports each command's outcome: a pipeline that answered within `timeoutMs` gives its commands
 *   Redis's replies, whatever the other pipelines did; one that failed or did not answer in time
 *   fails its commands (a timed-out command may still run in Redis later). The caller retries only
 *   what did not succeed, so a frozen shard never makes the writes applied on the others be sent again;
 * - counts one failed write (`stats.failedWrites`) when it is skipped, fails or partly fails;
 * - settles within `timeoutMs`, whatever Redis does, and never rejects.
 */
export class RedisWriter {
  constructor(
    private readonly connection: RedisConnection,
    private readonly stats: RecorderStats,
    private readonly timeoutMs: number,
  ) {}

  ready(): boolean {
    return this.connection.ready();
  }

  /** Opens a lazy connection (bounded by the write timeout). Never rejects. */
  ensureConnected(): Promise<void> {
    return this.connection.ensureConnected(this.timeoutMs);
  }

  async write(commands: readonly WriteCommand[]): Promise<WriteOutcome> {
    if (commands.length === 0) return { failed: 0, results: [] };
    await this.ensureConnected();
    if (!this.connection.ready()) return this.failAll(commands.length);
    const groups = this.connection.isCluster ? groupByKey(commands) : [commands.map((_, i) => i)];
    const results: boolean[] = new Array(commands.length).fill(false);
    // One bound for the whole write: every pipeline is sent at once, and each one that has not answered
    // when it is reached fails on its own; the ones that answered keep their replies.
    const bound = deadline<PipelineReplies>(this.timeoutMs, null);
    await context
      .with(suppressTracing(context.active()), () =>
        Promise.all(groups.map((indexes) => this.runPipeline(commands, indexes, results, bound.reached))),
      )
      .finally(bound.cancel);
    let failed = 0;
    for (const ok of results) if (!ok) failed++;
    if (failed > 0) this.stats.failedWrites++;
    return { failed, results };
  }

  /**
   * Sets `results` for the pipeline's commands, once: as Redis replied if it answered before `bound`, else (it
   * failed, or is still running) false. Never rejects.
   */
  private async runPipeline(
    commands: readonly WriteCommand[],
    indexes: readonly number[],
    results: boolean[],
    bound: Promise<PipelineReplies>,
  ): Promise<void> {
    let replies: PipelineReplies = null;
    try {
      const pipeline = this.connection.client.pipeline(indexes.map((i) => [...(commands[i] as WriteCommand)]));
      // A pipeline still running at the bound settles later (ioredis' own timeouts): its rejection is handled here.
      replies = await Promise.race([pipeline.exec().catch(() => null), bound]);
    } catch {
      // ioredis could not build the pipeline: its commands failed
    }
    indexes.forEach((commandIndex, n) => {
      results[commandIndex] = replies?.[n]?.[0] === null;
    });
  }

  private failAll(count: number): WriteOutcome {
    this.stats.failedWrites++;
    return { failed: count, results: new Array(count).fill(false) };
  }
}

function groupByKey(commands: readonly WriteCommand[]): number[][] {
  const byKey = new Map<string, number[]>();
  commands.forEach((command, i) => {
    const list = byKey.get(command[1]);
    if (list) list.push(i);
    else byKey.set(command[1], [i]);
  });
  return [...byKey.values()];
}
