// What bench/bridge-tick.ts and the bridge processes it ticks (bridge-process.ts) say to each other over IPC.
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HeartbeatReadPath } from '../../bridge/src/sources/heartbeats/heartbeat-source.js';
import type { timeWithLoopBlock } from '../lib/loop-block.js';

export interface BridgeSpec {
  url: string;
  path: HeartbeatReadPath;
  /** Follows the apps' slow and error feeds, as a bridge does; without them, times its heartbeat read in each tick. */
  feeds: boolean;
  /** Collects the bridge's garbage before each timed tick (outside the measure). */
  collectFirst: boolean;
}

/** A step timed in the bridge's process, with what it cost Redis. */
export type TimedStep = Awaited<ReturnType<typeof timeWithLoopBlock>> & { redisCpuMs: number };

/** `listen`, then `heard`: how long its event loop was busy in between (receiving invalidations, between ticks). */
export type BridgeRequest = { op: 'warm' } | { op: 'tick' } | { op: 'listen' } | { op: 'heard' } | { op: 'state' } | { op: 'stop' };

export type BridgeReply =
  | { op: 'ready' }
  | { op: 'warm' }
  | { op: 'stop' }
  | { op: 'listen' }
  | { op: 'heard'; busyMs: number }
  /** `tick` is timed in the bridge's process; Redis's CPU is read by the bench around the request. */
  | { op: 'tick'; tick: Omit<TimedStep, 'redisCpuMs'>; read: TimedStep | undefined }
  | { op: 'state'; path: HeartbeatReadPath | undefined; servers: number; current: boolean }
  | { op: 'error'; message: string };

type Answer<Op extends BridgeRequest['op']> = Extract<BridgeReply, { op: Op }>;

const BRIDGE_PROCESS = fileURLToPath(new URL('./bridge-process.ts', import.meta.url));

/** A bridge in a process of its own: one request at a time, each answered in turn. */
export class BridgeProcess {
  private constructor(
    readonly spec: BridgeSpec,
    private readonly child: ChildProcess,
  ) {}

  /**
   * `root`: the checkout whose bridge runs (its `bench/tick/bridge-process.ts`, and so its bridge code); this one's
   * by default.
   */
  static async start(spec: BridgeSpec, root?: string): Promise<BridgeProcess> {
    const child = fork(root === undefined ? BRIDGE_PROCESS : join(root, 'bench/tick/bridge-process.ts'), {
      execArgv: ['--import', 'tsx', '--expose-gc'],
      env: { ...process.env, BENCH_BRIDGE: JSON.stringify(spec) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const bridge = new BridgeProcess(spec, child);
    await bridge.reply('ready');
    return bridge;
  }

  async ask<Op extends BridgeRequest['op']>(op: Op): Promise<Answer<Op>> {
    this.child.send({ op });
    return this.reply(op);
  }

  private reply<Op extends BridgeReply['op']>(op: Op): Promise<Extract<BridgeReply, { op: Op }>> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the ${this.spec.path} bridge exited (${code}) before its ${op}`));
      this.child.once('exit', onExit);
      this.child.once('message', (reply: BridgeReply) => {
        this.child.off('exit', onExit);
        if (reply.op === op) resolve(reply as Extract<BridgeReply, { op: Op }>);
        else reject(new Error(reply.op === 'error' ? reply.message : `asked for ${op}, got ${reply.op}`));
      });
    });
  }
}
