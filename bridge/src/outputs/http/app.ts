import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import type { MonitorService } from '../../monitor/monitor-service.js';
import { documentParts } from '../../monitor/snapshot-encoding.js';
import { redisErrorText } from '../../redis/error-text.js';
import type { BridgeMetrics } from '../metrics/bridge-metrics.js';
import type { SseBroadcaster } from '../sse/broadcaster.js';
import { MAX_STREAM_APPS, STREAM_MODES, subscription } from '../sse/subscription.js';
import { ZENITH_STREAM_PATH, type ZenithRoutes } from '../zenith/zenith-routes.js';
import { type PulseApi, RedisUnavailable } from './api.js';
import { auth } from './auth.js';
import type { GuessPolicy } from './guess-limiter.js';
import { appListParam, appParam, enumParam, intParam, QueryError } from './query.js';
import { ApiBusy } from './read-gate.js';

export interface AppDeps {
  monitor: MonitorService;
  sse: SseBroadcaster;
  metrics: BridgeMetrics;
  api: PulseApi;
  log: Logger;
  token: string | undefined;
  /** Tests only: token guessing slowed with other numbers (a small client table). */
  guessPolicy?: Partial<GuessPolicy>;
  corsOrigins: readonly string[];
  /** Zenith's routes (`/api/pulse/nodes`, `/api/logs/stream`). */
  zenith?: ZenithRoutes;
  /** The Pulse page and its assets: served before the token check, since they hold no data. */
  web: Router;
  /** OTLP/HTTP's `/v1/metrics` and `/v1/traces`, when the receiver is on: behind the token, like the data it writes. */
  otlp?: Router;
  /** `GET /api/pulse/history` (http/history-route.ts). */
  history?: Router;
}

export const STREAM_PATH = '/api/pulse/stream';

/** Exact-match CORS: only the listed origins get `Access-Control-Allow-Origin`, and only their own origin back. */
function cors(origins: readonly string[]) {
  const allowed = new Set(origins);
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.headers.origin;
    res.vary('Origin');
    if (origin && allowed.has(origin)) {
      res.set('Access-Control-Allow-Origin', origin);
      if (req.method === 'OPTIONS') {
        res.set({
          'Access-Control-Allow-Methods': 'GET, OPTIONS',
          'Access-Control-Allow-Headers': 'Authorization, Last-Event-ID, Cache-Control',
          'Access-Control-Max-Age': '600',
        });
        res.status(204).end();
        return;
      }
    } else if (req.method === 'OPTIONS' && origin) {
      res.status(403).json({ error: 'origin not allowed' });
      return;
    }
    next();
  };
}

function wantsOpenMetrics(req: Request): boolean {
  return /application\/openmetrics-text/i.test(req.headers.accept ?? '');
}

export function createApp(deps: AppDeps): express.Express {
  const { monitor, sse, metrics, api, log } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // A flat query parser: `?app[x]=1` stays a string key, never an object.
  app.set('query parser', 'simple');
  app.use((_req, res, next) => {
    // Every body is JSON, text or an event stream with its exact type: no browser should guess another.
    res.set('X-Content-Type-Options', 'nosniff');
    next();
  });
  app.use(cors(deps.corsOrigins));
  app.use(deps.web);
  app.use(
    auth({
      token: deps.token,
      queryTokenPaths: [STREAM_PATH, ZENITH_STREAM_PATH],
      failures: metrics.authFailures,
      log,
      guessPolicy: deps.guessPolicy,
    }),
  );

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', (_req, res) => {
    const readiness = monitor.readiness();
    res.status(readiness.status === 'ready' ? 200 : 503).json(readiness);
  });

  app.get(STREAM_PATH, (req, res) => {
    const mode = enumParam(req.query, 'mode', STREAM_MODES, 'full');
    const apps = appListParam(req.query, 'app', MAX_STREAM_APPS);
    sse.accept(req, res, subscription(mode, apps), JSON.stringify(monitor.statusEvent()));
  });

  app.get('/api/pulse/servers', (req, res) => {
    const only = appParam(req.query, false);
    // The bytes the stream sends, not a copy: an app's object each.
    sendBuffers(res, 'application/json', documentParts(monitor.lastSnapshot().document, only === undefined ? undefined : new Set([only])));
  });

  app.get('/api/pulse/slow', async (req, res) => {
    const app = appParam(req.query, true) as string;
    const limit = intParam(req.query, 'limit', 1, 1_000, 50);
    res.json({ app, ...(await api.slow(app, limit)) });
  });

  app.get('/api/pulse/errors', async (req, res) => {
    const app = appParam(req.query, true) as string;
    const since = intParam(req.query, 'since', 0, 100_000_000_000_000, Date.now() - 3_600_000);
    res.json({ app, since, ...(await api.errors(app, since)) });
  });

  deps.zenith?.install(app);
  if (deps.otlp) app.use(deps.otlp);
  if (deps.history) app.use(deps.history);

  app.get('/metrics', async (req, res) => {
    const scrape = await metrics.scrape(wantsOpenMetrics(req));
    sendBuffers(res, scrape.contentType, scrape.body);
  });

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: 'not found' });
  });

  // Express 5 passes rejected async handlers here.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof QueryError) {
      res.status(400).json({ error: err.message, parameter: err.parameter });
      return;
    }
    if ((err as { type?: string })?.type === 'entity.parse.failed' || (err as { status?: number })?.status === 400) {
      res.status(400).json({ error: 'bad request' });
      return;
    }
    if (err instanceof ApiBusy) {
      res.status(503).set('Retry-After', '1').json({ error: 'busy', detail: err.message });
      return;
    }
    const message = redisErrorText(err);
    if (err instanceof RedisUnavailable || /took longer than/.test(message)) {
      res.status(503).json({ error: 'redis unavailable', detail: message.slice(0, 200) });
      return;
    }
    log.error({ err, path: req.path }, 'request failed');
    if (!res.headersSent) res.status(500).json({ error: 'internal error' });
  });
  return app;
}

/** A body already encoded in pieces: sent with its length, the pieces written together (one write to the socket). */
function sendBuffers(res: Response, contentType: string, pieces: readonly Buffer[]): void {
  let length = 0;
  for (const piece of pieces) length += piece.length;
  res.type(contentType).set('Content-Length', String(length));
  res.cork();
  for (const piece of pieces) res.write(piece);
  res.uncork();
  res.end();
}
