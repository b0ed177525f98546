import {
  decodeHistoryBucket,
  decodeServerFigures,
  decodeTriple,
  HISTORY_APPS_KEY,
  HISTORY_BUCKETS_PER_PERIOD,
  type HistoryAppView,
  type HistoryPeriod,
  type HistoryQueueView,
  type HistoryResponse,
  type HistoryServerPoint,
  historyBucketKey,
  historyBucketStart,
  historyPeriodSpan,
  historyQueuesKey,
  historyServersKey,
  type SlowKind,
} from '@gravito/pulse-protocol';
import type { RedisHandle } from '../../redis/connection.js';
import { mapLimited } from '../../redis/read.js';
import { MAX_EXCEPTION_SERVERS } from './bucket-deltas.js';

/** Slow and exception groups listed per app (the rest are counted in `slow_groups` / `exception_groups`). */
export const MAX_LISTED_GROUPS = 200;
/** Apps in one answer when none is asked for: the most recently written. */
export const MAX_ANSWER_APPS = 50;
/** Servers with a series in one app's answer. */
export const MAX_ANSWER_SERVERS = 1_000;
/** Buckets read at once for one answer. */
const READ_CONCURRENCY = 16;

export type HistorySort = 'count' | 'max';

interface SlowSum {
  kind: SlowKind;
  name: string;
  count: number;
  sum: number;
  max: number;
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Reads one period of history back from Redis and adds its buckets up (the JSON of `GET /api/pulse/history`). */
export class HistoryReader {
  constructor(
    private readonly redis: RedisHandle,
    private readonly timeScale: number,
  ) {}

  async read(period: HistoryPeriod, apps: readonly string[] | undefined, sort: HistorySort, now: number): Promise<HistoryResponse> {
    const { bucketMs } = historyPeriodSpan(period, this.timeScale);
    const last = historyBucketStart(now, bucketMs);
    const from = last - (HISTORY_BUCKETS_PER_PERIOD - 1) * bucketMs;
    const starts = Array.from({ length: HISTORY_BUCKETS_PER_PERIOD }, (_, i) => from + i * bucketMs);
    const names = apps ?? (await this.redis.client.zrevrangebyscore(HISTORY_APPS_KEY, '+inf', from, 'LIMIT', 0, MAX_ANSWER_APPS));
    const queues: HistoryQueueView[] = [];
    const views = await mapLimited(names, 4, (app) => this.readApp(app, period, starts, sort, queues));
    return { period, bucket_ms: bucketMs, from, to: last + bucketMs, apps: views, queues };
  }

  private async readApp(
    app: string,
    period: HistoryPeriod,
    starts: readonly number[],
    sort: HistorySort,
    queuesOut: HistoryQueueView[],
  ): Promise<HistoryAppView> {
    const buckets = await mapLimited(starts, READ_CONCURRENCY, async (start) => {
      const [bucket, servers, queues] = await Promise.all([
        this.redis.client.hgetall(historyBucketKey(app, period, start)),
        this.redis.client.hgetall(historyServersKey(app, period, start)),
        this.redis.client.hgetall(historyQueuesKey(app, period, start)),
      ]);
      return { start, bucket: decodeHistoryBucket(bucket), servers, queues };
    });
    const slow = new Map<string, SlowSum>();
    const exceptions = new Map<string, HistoryAppView['exceptions'][number]>();
    const view: HistoryAppView = {
      app,
      slow: [],
      slow_other: { count: 0 },
      slow_groups: 0,
      exceptions: [],
      exceptions_other: { count: 0 },
      exception_groups: 0,
      health: [],
      servers: [],
    };
    const serverSeries = new Map<string, HistoryServerPoint[]>();
    const queueSeries = new Map<string, HistoryQueueView['series']>();
    for (const { start, bucket, servers, queues } of buckets) {
      view.slow_other.count += bucket.slowOther;
      view.exceptions_other.count += bucket.exceptionsOther;
      for (const g of bucket.slow) {
        const id = `${g.kind}:${g.name}`;
        const sum = slow.get(id);
        if (!sum) slow.set(id, { kind: g.kind as SlowKind, name: g.name, count: g.count, sum: g.sum_ms, max: g.max_ms });
        else {
          sum.count += g.count;
          sum.sum += g.sum_ms;
          sum.max = Math.max(sum.max, g.max_ms);
        }
      }
      for (const g of bucket.exceptions) {
        const known = exceptions.get(g.fingerprint);
        if (!known) exceptions.set(g.fingerprint, { ...g, servers: g.servers.slice(0, MAX_EXCEPTION_SERVERS) });
        else {
          known.count += g.count;
          if (g.last_seen >= known.last_seen) Object.assign(known, { type: g.type, message: g.message, last_seen: g.last_seen });
          for (const s of g.servers) if (known.servers.length < MAX_EXCEPTION_SERVERS && !known.servers.includes(s)) known.servers.push(s);
        }
      }
      if (bucket.health) {
        const h = bucket.health;
        view.health.push({ start, health: h.health_n > 0 ? Math.round(h.health_sum / h.health_n) : null, online: h.online, lost: h.lost });
      }
      for (const [id, value] of Object.entries(servers)) {
        const figures = decodeServerFigures(value);
        if (!figures) continue;
        let series = serverSeries.get(id);
        if (!series) {
          if (serverSeries.size >= MAX_ANSWER_SERVERS) continue;
          series = [];
          serverSeries.set(id, series);
        }
        const point: HistoryServerPoint = { start };
        if (figures.cpu) Object.assign(point, { cpu_avg: round(figures.cpu[0] / figures.cpu[1]), cpu_max: figures.cpu[2] });
        if (figures.mem)
          Object.assign(point, { memory_used_avg: Math.round(figures.mem[0] / figures.mem[1]), memory_used_max: figures.mem[2] });
        if (figures.loop)
          Object.assign(point, { loop_p99_avg_ms: round(figures.loop[0] / figures.loop[1]), loop_p99_max_ms: figures.loop[2] });
        series.push(point);
      }
      for (const [field, value] of Object.entries(queues)) {
        const stat = decodeTriple(value);
        if (!stat || stat[1] === 0) continue;
        let series = queueSeries.get(field);
        if (!series) {
          series = [];
          queueSeries.set(field, series);
        }
        series.push({ start, depth_avg: round(stat[0] / stat[1]), depth_max: stat[2] });
      }
    }
    const slowGroups = [...slow.values()].sort(
      sort === 'max' ? (a, b) => b.max - a.max || b.count - a.count : (a, b) => b.count - a.count || b.max - a.max,
    );
    view.slow_groups = slowGroups.length;
    view.slow = slowGroups
      .slice(0, MAX_LISTED_GROUPS)
      .map((g) => ({ kind: g.kind, name: g.name, count: g.count, max_ms: round(g.max), avg_ms: round(g.count > 0 ? g.sum / g.count : 0) }));
    const exceptionGroups = [...exceptions.values()].sort((a, b) => b.count - a.count || b.last_seen - a.last_seen);
    view.exception_groups = exceptionGroups.length;
    view.exceptions = exceptionGroups.slice(0, MAX_LISTED_GROUPS);
    view.servers = [...serverSeries].map(([id, series]) => ({ id, series }));
    for (const [field, series] of queueSeries) {
      const colon = field.indexOf(':');
      queuesOut.push({ queue: field.slice(colon + 1), app, driver: field.slice(0, colon), series });
    }
    return view;
  }
}
