import type { WriteCommand } from '@gravito/pulse-protocol';
import type { RedisHandle } from '../../redis/connection.js';

/**
 * The transport: runs one request's commands, all at once, within a deadline. Standalone: one pipeline. Cluster: one
 * pipeline per key (one key is one slot), so none crosses slots. Resolves `true` only when every command succeeded;
 * the receiver then answers 200, and otherwise a retryable 503 so that the client sends the whole request again (a
 * heartbeat SET and an error ZADD are idempotent; a slow entry written twice is dropped by readers as a repeat,
 * GPP's `slowEntryIdentity`).
 */
export class OtlpRedisWriter {
  constructor(
    private readonly redis: RedisHandle,
    private readonly timeoutMs: number,
  ) {}

  ready(): boolean {
    return this.redis.client.status === 'ready';
  }

  async write(commands: readonly WriteCommand[]): Promise<boolean> {
    if (commands.length === 0) return true;
    if (!this.ready()) return false;
    const groups = new Map<string, WriteCommand[]>();
    if (this.redis.cluster) {
      for (const command of commands) {
        const group = groups.get(command[1]);
        if (group) group.push(command);
        else groups.set(command[1], [command]);
      }
    } else {
      groups.set('', [...commands]);
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.timeoutMs);
      timer.unref();
    });
    const runs = [...groups.values()].map(async (group) => {
      const replies = await this.redis.client.pipeline(group.map(([name, ...args]) => [name, ...args])).exec();
      return replies?.every(([err]) => err === null) ?? false;
    });
    // A pipeline that fails after the deadline won must not become an unhandled rejection.
    const all = Promise.all(runs).then(
      (oks) => oks.every(Boolean),
      () => false,
    );
    try {
      return await Promise.race([all, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}
