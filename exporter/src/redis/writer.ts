import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { RecorderStats } from '../stats.js';
import type { RedisConnection } from './connection.js';

/** One Redis command: name, then its key, then the other arguments. */
export type RedisCommand = readonly [name: string, key: string, ...args: Array<string | number>];

export interface WriteOutcome {
  /** false: nothing was sent (Redis not ready) or the whole write failed or timed out. */
  sent: boolean;
  /** Commands that failed (all of them when `sent` is false). */
  failed: number;
  /** Per command: true when it succeeded, in the order given. */
  results: boolean[];
}

function noop(): void {}

/**
 * The transport half: runs commands as pipelines. On a standalone server all commands of one
 * write go in one pipeline; on a Cluster they are grouped per key (one key is one slot), so no
 * pipeline ever crosses slots. Every call:
 * - runs under `suppressTracing`, so Pulse's own Redis traffic never becomes spans (and never
 *   becomes a child of the request span being ended);
 * - is skipped while the client is not ready;
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

  async write(commands: readonly RedisCommand[]): Promise<WriteOutcome> {
    if (commands.length === 0) return { sent: true, failed: 0, results: [] };
    await this.ensureConnected();
    if (!this.connection.ready()) return this.failAll(commands.length);
    const groups = this.connection.isCluster ? groupByKey(commands) : [commands.map((_, i) => i)];
    const results: boolean[] = new Array(commands.length).fill(false);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(resolve, this.timeoutMs, 'timeout');
      timer.unref();
    });
    try {
      const run = context.with(suppressTracing(context.active()), () =>
        Promise.all(groups.map((indexes) => this.runPipeline(commands, indexes, results))),
      );
      // If the bound wins, the pipelines still settle later (ioredis' own timeouts): keep them handled.
      run.catch(noop);
      const outcome = await Promise.race([run, timeout]);
      if (outcome === 'timeout') return this.failAll(commands.length);
    } catch {
      return this.failAll(commands.length);
    } finally {
      clearTimeout(timer);
    }
    let failed = 0;
    for (const ok of results) if (!ok) failed++;
    if (failed > 0) this.stats.failedWrites++;
    return { sent: true, failed, results };
  }

  private async runPipeline(commands: readonly RedisCommand[], indexes: readonly number[], results: boolean[]): Promise<void> {
    const pipeline = this.connection.client.pipeline(indexes.map((i) => [...(commands[i] as RedisCommand)]));
    const replies = await pipeline.exec();
    if (replies === null) return;
    indexes.forEach((commandIndex, n) => {
      const reply = replies[n];
      results[commandIndex] = reply !== undefined && reply[0] === null;
    });
  }

  private failAll(count: number): WriteOutcome {
    this.stats.failedWrites++;
    return { sent: false, failed: count, results: new Array(count).fill(false) };
  }
}

function groupByKey(commands: readonly RedisCommand[]): number[][] {
  const byKey = new Map<string, number[]>();
  commands.forEach((command, i) => {
    const list = byKey.get(command[1]);
    if (list) list.push(i);
    else byKey.set(command[1], [i]);
  });
  return [...byKey.values()];
}
