import type { ChainableCommander } from 'ioredis';
import type { RedisHandle } from '../../redis/connection.js';

type Reply = [error: Error | null, result: unknown];

interface Queued {
  build: (pipeline: ChainableCommander) => void;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

/** Commands sent in one pipeline at most (a pass over many apps is cut into several). */
const MAX_COMMANDS_PER_PIPELINE = 400;

/**
 * Sends the counting pass's commands of all apps in a few pipelines rather than one round trip each: every command
 * asked for before the loop turns (the reads of all apps in flight, then their scripts) goes out together. Redis
 * reads and answers them in one go, which saves it a read and a write call per command (the pass's Redis CPU) and
 * saves the bridge as many socket writes. Standalone only: a cluster pipeline cannot span slots, and an app's
 * stream, exception set and cursor sit in three, so there each command is sent on its own (`send`).
 */
export class PassPipeline {
  private queue: Queued[] = [];
  private scheduled = false;

  constructor(private readonly redis: RedisHandle) {}

  /** One command by name (`call`), settling with its own reply. */
  call<T>(command: string, ...args: (string | number)[]): Promise<T> {
    return this.send<T>(
      (pipeline) => pipeline.call(command, ...args),
      () => this.redis.client.call(command, ...args) as Promise<T>,
    );
  }

  /** One command, built on the pipeline (or sent by `direct` on a cluster); settles with its own reply. */
  send<T>(build: (commands: ChainableCommander) => void, direct: () => Promise<T>): Promise<T> {
    if (this.redis.cluster) return direct();
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ build, resolve: resolve as (value: unknown) => void, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      // setImmediate rather than a microtask: the continuations of the last pipeline's replies all run first.
      setImmediate(() => this.flush()).unref();
    });
  }

  private flush(): void {
    this.scheduled = false;
    const queued = this.queue;
    this.queue = [];
    for (let i = 0; i < queued.length; i += MAX_COMMANDS_PER_PIPELINE) void this.exec(queued.slice(i, i + MAX_COMMANDS_PER_PIPELINE));
  }

  private async exec(batch: Queued[]): Promise<void> {
    const pipeline = this.redis.client.pipeline();
    for (const queued of batch) queued.build(pipeline);
    try {
      const replies = ((await pipeline.exec()) ?? []) as Reply[];
      batch.forEach((queued, i) => {
        const reply = replies[i];
        if (!reply) queued.reject(new Error('pipeline aborted'));
        else if (reply[0]) queued.reject(reply[0]);
        else queued.resolve(reply[1]);
      });
    } catch (err) {
      for (const queued of batch) queued.reject(err as Error);
    }
  }
}
