import { timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import type { BridgeMetrics } from '../metrics/bridge-metrics.js';
import type { MonitorService } from '../monitor/monitor-service.js';
import { documentParts } from '../monitor/snapshot-encoding.js';
import { ZENITH_STREAM_PATH, type ZenithRoutes } from '../quasar/zenith-routes.js';
import type { SseBroadcaster } from '../sse/broadcaster.js';
import { MAX_STREAM_APPS, STREAM_MODES, subscription } from '../sse/subscription.js';
import { type PulseApi, RedisUnavailable } from './api.js';
import { appListParam, appParam, enumParam, intParam, QueryError } from './query.js';
import { ApiBusy } from './read-gate.js';

export interface AppDeps {
  monitor: MonitorService;
  sse: SseBroadcaster;
  metrics: BridgeMetrics;
  api: PulseApi;
  log: Logger;
  token: string | undefined;
  corsOrigins: readonly string[];
  /** Zenith's routes (`/api/pulse/nodes`, `/api/logs/stream`). */
  zenith?: ZenithRoutes;
  /** The Pulse page and its assets: served before the token check, since they hold no data. */
  web: Router;
}

export const STREAM_PATH = '/api/pulse/stream';

function tokenMatches(expected: Buffer, given: string): boolean {
  const got = Buffer.from(given);
  return got.length === expected.length && timingSafeEqual(got, expected);
}

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

/**
 * A bearer token on everything but /healthz. Browsers' EventSource cannot send headers, so the streams alone
 * also takes `?access_token=` (query strings are never logged by the bridge).
 */
function auth(token: string | undefined) {
  const expected = token ? Buffer.from(token) : undefined;
  return (req: Request, res: Response, next: NextFunction) => {
    if (!expected || req.path === '/healthz' || req.method === 'OPTIONS') return next();
    // The scheme name is case-insensitive (RFC 7235): `bearer x` is `Bearer x`.
    const bearer = /^bearer +(\S+) *$/i.exec(req.headers.authorization ?? '')?.[1];
    const fromQuery =
      (req.path === STREAM_PATH || req.path === ZENITH_STREAM_PATH) && typeof req.query.access_token === 'string'
        ? req.query.access_token
        : undefined;
    const given = bearer ?? fromQuery;
    if (given !== undefined && tokenMatches(expected, given)) return next();
    res.set('WWW-Authenticate', 'Bearer realm="pulse-bridge"').status(401).json({ error: 'a valid bearer token is required' });
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
  app.use(auth(deps.token));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', (_req, res) => {
    const up = monitor.isRedisUp();
    res.status(up ? 200 : 503).json({ status: up ? 'ready' : 'redis unreachable', redis_up: up });
  });

  app.get(STREAM_PATH, (req, res) => {
    const mode = enumParam(req.query, 'mode', STREAM_MODES, 'full');
    const apps = appListParam(req.query, 'app', MAX_STREAM_APPS);
    sse.accept(req, res, subscription(mode, apps), JSON.stringify(monitor.statusEvent()));
  });

  app.get('/api/pulse/servers', (req, res) => {
    const only = appParam(req.query, false);
    // The bytes the stream sends, not a copy.
    res.type('application/json');
    for (const part of documentParts(monitor.lastSnapshot().document, only === undefined ? undefined : new Set([only]))) res.write(part);
    res.end();
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

  app.get('/metrics', async (req, res) => {
    const scrape = await metrics.scrape(wantsOpenMetrics(req));
    let length = 0;
    for (const piece of scrape.body) length += piece.length;
    res.type(scrape.contentType).set('Content-Length', String(length));
    for (const piece of scrape.body) res.write(piece);
    res.end();
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
    const message = (err as Error)?.message ?? String(err);
    if (err instanceof RedisUnavailable || /took longer than/.test(message)) {
      res.status(503).json({ error: 'redis unavailable', detail: message.slice(0, 200) });
      return;
    }
    log.error({ err, path: req.path }, 'request failed');
    if (!res.headersSent) res.status(500).json({ error: 'internal error' });
  });
  return app;
}
