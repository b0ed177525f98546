import { HISTORY_PERIOD_MS, HISTORY_PERIODS, type HistoryPeriod } from '@gravito/pulse-protocol';
import { Router } from 'express';
import type { HistoryRetention } from '../../monitor/history/history-options.js';
import type { HistoryReader, HistorySort } from '../../monitor/history/history-reader.js';
import { withDeadline } from '../../redis/read.js';
import { RedisUnavailable } from './api.js';
import { appListParam, enumParam, QueryError } from './query.js';
import { ReadGate } from './read-gate.js';

export const HISTORY_PATH = '/api/pulse/history';
/** Apps one request may name. */
const MAX_QUERY_APPS = 50;
/** History reads running at once, and waiting; past them a caller gets 503 at once (each reads up to 180 hashes per app). */
const READS_ACTIVE = 2;
const READS_WAITING = 16;
const SORTS: readonly HistorySort[] = ['count', 'max'];

export interface HistoryRouteDeps {
  /** Undefined when history is off (`PULSE_HISTORY=off`): the route answers 404 saying so. */
  reader: HistoryReader | undefined;
  retention: HistoryRetention;
  timeoutMs: number;
  onRefused: () => void;
}

/** `GET /api/pulse/history?period=1h|6h|24h|7d[&app=a,b][&sort=count|max]`, behind the same token as the other JSON routes. */
export function historyRoutes(deps: HistoryRouteDeps): Router {
  const router = Router();
  const gate = new ReadGate(READS_ACTIVE, READS_WAITING, deps.onRefused);
  router.get(HISTORY_PATH, async (req, res) => {
    const query = req.query as Record<string, unknown>;
    if (query.period === undefined || query.period === '')
      throw new QueryError('period', `period is required: one of ${HISTORY_PERIODS.join(', ')}`);
    const period = enumParam<HistoryPeriod>(query, 'period', HISTORY_PERIODS, '1h');
    const apps = appListParam(query, 'app', MAX_QUERY_APPS);
    const sort = enumParam(query, 'sort', SORTS, 'count');
    const { reader, retention } = deps;
    if (!reader || retention === 'off') {
      res.status(404).json({ error: 'history is off (PULSE_HISTORY=off)' });
      return;
    }
    if (HISTORY_PERIOD_MS[period] > HISTORY_PERIOD_MS[retention])
      throw new QueryError('period', `period ${period} is longer than the history kept (PULSE_HISTORY=${retention})`);
    const key = `${period}\u0000${apps?.join(',') ?? ''}\u0000${sort}`;
    const answer = await gate.run(key, () =>
      withDeadline(
        reader.read(period, apps, sort, Date.now()).catch((err: unknown) => {
          throw new RedisUnavailable((err as Error).message);
        }),
        deps.timeoutMs,
        'history read',
      ),
    );
    res.json(answer);
  });
  return router;
}
