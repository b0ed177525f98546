import {
  decodeHistoryBucket,
  decodeServerFigures,
  decodeTriple,
  type GaugeStat,
  HEALTH_FIELD,
  HISTORY_APPS_KEY,
  HISTORY_PERIOD_MS,
  type HistoryPeriod,
  historyBucketExpiry,
  historyBucketKey,
  historyPeriodSpan,
  historyQueuesKey,
  historyServersKey,
} from '@gravito/pulse-protocol';
import { commandRefusal } from '../../redis/command-refusal.js';
import type { RedisHandle } from '../../redis/connection.js';
import { mapLimited } from '../../redis/read.js';
import type { FiguresWrite } from './gauge-buckets.js';
import { type AppFigures, emptyFigures, mergeFigures, type ServerStats } from './gauge-figures.js';

/** Fields per HSET: one command stays small however many servers an app has. */
const FIELDS_PER_HSET = 500;
/** Apps whose buckets are written at once. */
const WRITE_CONCURRENCY = 16;

function serverValue(stats: ServerStats): string {
  return JSON.stringify({ cpu: stats.cpu, mem: stats.mem, loop: stats.loop });
}

function healthValue(figures: AppFigures): string {
  return JSON.stringify({ health_sum: figures.healthSum, health_n: figures.healthN, online: figures.online, lost: figures.lost });
}

/**
 * Writes the server, queue and health figures of closed buckets: each bucket whole (HSET of its sums, counts and
 * maxima), so that writing it again, or a second bridge writing the same bucket, never adds anything twice. The
 * last writer wins; two bridges see the same heartbeats, so their figures agree but for a poll or two.
 */
export class FiguresStore {
  constructor(
    private readonly redis: RedisHandle,
    private readonly timeScale: number,
  ) {}

  async write(writes: readonly FiguresWrite[], now: number, retention: HistoryPeriod): Promise<void> {
    const apps = new Set<string>();
    await mapLimited(writes, WRITE_CONCURRENCY, async (write) => {
      if (write.seed) mergeFigures(write.figures, await this.read(write.app, write.period, write.start));
      await this.writeOne(write);
      apps.add(write.app);
    });
    if (apps.size === 0) return;
    const index = this.redis.client.pipeline();
    for (const app of apps) index.zadd(HISTORY_APPS_KEY, now, app);
    index.zremrangebyscore(HISTORY_APPS_KEY, '-inf', now - HISTORY_PERIOD_MS[retention] / this.timeScale);
    await index.exec();
  }

  private async writeOne({ app, period, start, figures }: FiguresWrite): Promise<void> {
    const expireAt = historyBucketExpiry(start, historyPeriodSpan(period, this.timeScale));
    // Every key of one app shares its hash tag: one pipeline, even on a cluster.
    const pipeline = this.redis.client.pipeline();
    const bucketKey = historyBucketKey(app, period, start);
    pipeline.hset(bucketKey, HEALTH_FIELD, healthValue(figures));
    pipeline.pexpireat(bucketKey, expireAt);
    const put = (key: string, entries: [string, string][]) => {
      for (let i = 0; i < entries.length; i += FIELDS_PER_HSET) {
        pipeline.hset(key, Object.fromEntries(entries.slice(i, i + FIELDS_PER_HSET)));
      }
      if (entries.length > 0) pipeline.pexpireat(key, expireAt);
    };
    put(
      historyServersKey(app, period, start),
      [...figures.servers].map(([id, stats]) => [id, serverValue(stats)]),
    );
    put(
      historyQueuesKey(app, period, start),
      [...figures.queues].map(([field, stat]) => [field, JSON.stringify(stat)]),
    );
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([err]) => err)?.[0];
    if (!failed) return;
    // Fields written to a key that Redis then refused a time to live (an ACL without PEXPIREAT) would never expire:
    // such keys are taken back, but only those left without one (a bucket another bridge wrote keeps its own).
    if (results.some(([err]) => commandRefusal(err)?.command === 'PEXPIREAT'))
      await this.removeUnexpiring([bucketKey, historyServersKey(app, period, start), historyQueuesKey(app, period, start)]);
    throw failed;
  }

  private async removeUnexpiring(keys: readonly string[]): Promise<void> {
    for (const key of keys)
      if ((await this.redis.client.pttl(key).catch(() => undefined)) === -1) await this.redis.client.del(key).catch(() => {});
  }

  /** What Redis holds for one bucket's figures (another bridge's, or this one's before a restart). */
  private async read(app: string, period: HistoryPeriod, start: number): Promise<AppFigures> {
    const [servers, queues, health] = await Promise.all([
      this.redis.client.hgetall(historyServersKey(app, period, start)),
      this.redis.client.hgetall(historyQueuesKey(app, period, start)),
      this.redis.client.hget(historyBucketKey(app, period, start), HEALTH_FIELD),
    ]);
    const figures = emptyFigures();
    for (const [id, value] of Object.entries(servers)) {
      const stats = decodeServerFigures(value);
      if (stats) figures.servers.set(id, stats);
    }
    for (const [field, value] of Object.entries(queues)) {
      const stat = decodeTriple(value);
      if (stat && stat[1] > 0) figures.queues.set(field, stat as GaugeStat);
    }
    const decoded = health === null ? undefined : decodeHistoryBucket({ [HEALTH_FIELD]: health }).health;
    if (decoded) {
      figures.healthSum = decoded.health_sum;
      figures.healthN = decoded.health_n;
      figures.online = decoded.online;
      figures.lost = decoded.lost;
    }
    return figures;
  }
}
