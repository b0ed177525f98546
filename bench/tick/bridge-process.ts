// One bridge's monitor in a process of its own, ticked by bench/bridge-tick.ts over IPC: as in production, its
// heap holds only its own state, so a collection in its tick marks and sweeps its own objects, not those of the
// bench's other bridges (which, in one shared heap, had made a short tick pay for marking four bridges' state).
//   BENCH_BRIDGE='{"url":"redis://…","path":"tracking","feeds":true}' node --import tsx --expose-gc bench/tick/bridge-process.ts
import { type EventLoopUtilization, performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { MonitorService } from '../../bridge/src/monitor/monitor-service.js';
import { connectRedis } from '../../bridge/src/redis/connection.js';
import type { HeartbeatReadPath } from '../../bridge/src/sources/heartbeats/heartbeat-source.js';
import { QuasarReader } from '../../bridge/src/sources/quasar/reader.js';
import { collectGarbage } from '../lib/gc.js';
import { timeWithLoopBlock } from '../lib/loop-block.js';
import { redisCpuDuring } from '../lib/redis-cpu.js';
import type { BridgeReply, BridgeRequest, BridgeSpec, TimedStep } from './ipc.js';

const spec = JSON.parse(process.env.BENCH_BRIDGE ?? '') as BridgeSpec;

const handle = connectRedis(spec.url, { timeoutMs: 10_000 });
const monitor = new MonitorService(
  handle,
  {
    intervalMs: 2_000,
    lostAfterMs: 15_000,
    forgetAfterMs: 600_000,
    tickTimeoutMs: 10_000,
    heartbeatReads: spec.path satisfies HeartbeatReadPath,
    // Zenith's agents are read by default (PULSE_QUASAR_READ=1): a scan of gravito:quasar:node:* every poll
    // today, only the nodes that changed when tracking (none here).
    quasar: new QuasarReader(),
    ...(spec.feeds ? {} : { maxApps: 0 }),
  },
  pino({ level: 'silent' }),
);

/**
 * A bridge that follows no feed times its heartbeat read within each tick: the read alone, with what it cost
 * Redis (its own connection asks, so that the bench's does not wait on it). A bridge whose whole tick is timed does
 * not time its read too: that measure's own round trips, sampler and wait would be counted in its tick.
 */
let info: Redis | undefined;
let read: TimedStep | undefined;
if (!spec.feeds) {
  info = new Redis(spec.url);
  const scan = monitor.scanHeartbeats.bind(monitor);
  monitor.scanHeartbeats = async (signal?: AbortSignal) => {
    let found: Awaited<ReturnType<typeof scan>> | undefined;
    const { value, redisCpuMs } = await redisCpuDuring(info as Redis, () =>
      timeWithLoopBlock(async () => {
        found = await scan(signal);
      }),
    );
    read = { ...value, redisCpuMs };
    return found as Awaited<ReturnType<typeof scan>>;
  };
}

/** Where the event loop stood at `listen`: what it was busy with from then is the invalidations' handling. */
let listening: EventLoopUtilization | undefined;

async function answer(request: BridgeRequest): Promise<BridgeReply> {
  switch (request.op) {
    case 'warm':
      await monitor.tick();
      return { op: 'warm' };
    case 'tick': {
      // By default, as in production, a tick pays for whatever collection falls in it. With TICK_GC=first, the
      // garbage this bridge's steps before left is collected first, outside the measure, so that a tick pays for
      // collecting its own garbage only, not the warm-up's or an earlier case's.
      if (spec.collectFirst) collectGarbage();
      read = undefined;
      const tick = await timeWithLoopBlock(() => monitor.tick());
      return { op: 'tick', tick, read };
    }
    case 'listen':
      listening = performance.eventLoopUtilization();
      return { op: 'listen' };
    case 'heard':
      return { op: 'heard', busyMs: performance.eventLoopUtilization(listening).active };
    case 'state': {
      const snapshot = monitor.getAggregateMetrics();
      return {
        op: 'state',
        path: monitor.heartbeats.path,
        servers: snapshot.apps.reduce((n, app) => n + app.servers.length, 0),
        current: snapshot.redis_up && snapshot.poll_ok !== false,
      };
    }
    case 'stop':
      await monitor.stop();
      await info?.quit();
      await handle.close();
      return { op: 'stop' };
  }
}

process.on('message', (request: BridgeRequest) => {
  void answer(request).then(
    (reply) => {
      process.send?.(reply);
      if (reply.op === 'stop') process.disconnect();
    },
    (err: unknown) => process.send?.({ op: 'error', message: String(err) } satisfies BridgeReply),
  );
});
// The bench gone (stopped, or failed midway): this bridge goes too, rather than stay connected to Redis.
process.on('disconnect', () => process.exit(0));
process.send?.({ op: 'ready' } satisfies BridgeReply);
