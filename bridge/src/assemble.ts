import type { AddressInfo } from 'node:net';
import { PULSE_EVENTS, type SpanRules } from '@gravito/pulse-protocol';
import { pino } from 'pino';
import type { Bridge, BridgeOptions } from './bridge-api.js';
import { type BridgeConfig, DEFAULTS, otlpSpanRules } from './config/config.js';
import { HISTORY_DEFAULTS, type HistoryOptions } from './monitor/history/history-options.js';
import { HistoryReader } from './monitor/history/history-reader.js';
import { HistoryService } from './monitor/history/history-service.js';
import { MonitorService } from './monitor/monitor-service.js';
import { PulseApi } from './outputs/http/api.js';
import { createApp } from './outputs/http/app.js';
import type { GuessPolicy } from './outputs/http/guess-limiter.js';
import { historyRoutes } from './outputs/http/history-route.js';
import { createLimitedServer, isLoopback } from './outputs/http/server-limits.js';
import { BridgeMetrics } from './outputs/metrics/bridge-metrics.js';
import { withHistoryMetrics } from './outputs/metrics/history-metrics.js';
import { withOtlpMetrics } from './outputs/metrics/otlp-metrics.js';
import { quasarMetrics } from './outputs/metrics/quasar-metrics.js';
import { SseBroadcaster } from './outputs/sse/broadcaster.js';
import { webRoutes } from './outputs/web/routes.js';
import { ZenithMirror } from './outputs/zenith/mirror.js';
import { ZenithRoutes } from './outputs/zenith/zenith-routes.js';
import { ZenithView } from './outputs/zenith/zenith-view.js';
import { connectRedis, type RedisHandle } from './redis/connection.js';
import { createOtlpSource, type OtlpSource } from './sources/otlp/source.js';
import { QuasarReader } from './sources/quasar/reader.js';

/** A bridge with its parts, as the tests and benchmarks reach into them. */
export interface BridgeInternals extends Bridge {
  readonly monitor: MonitorService;
  readonly sse: SseBroadcaster;
  readonly metrics: BridgeMetrics;
  readonly redis: RedisHandle;
  /** Zenith compatibility: the agents' reader (unless turned off), the mirror (when turned on), the routes. */
  readonly quasar: { reader?: QuasarReader; mirror?: ZenithMirror; routes: ZenithRoutes };
  /** The OTLP receiver, when `otlp` is on. */
  readonly otlp?: OtlpSource;
  /** Period views' writer, unless `history` is off. */
  readonly history?: HistoryService;
}

/** Tests only, on top of the public options: token guessing slowed with other numbers (a small client table). */
export interface AssembleOptions extends BridgeOptions {
  guessPolicy?: Partial<GuessPolicy>;
  /** Tests and benches: the OTLP receiver's thresholds and ignore patterns (default: the config's `PULSE_THRESHOLD_MS`, …). */
  otlpSpanRules?: SpanRules;
  /** Tests and benches: history's caps, settle time and time scale (shorter buckets). */
  history?: Partial<Omit<HistoryOptions, 'retention'>>;
}

/** Builds a bridge with its parts exposed, for the tests and benchmarks; `createBridge` is the public face. */
export function assembleBridge(partial: Partial<BridgeConfig> = {}, options: AssembleOptions = {}): BridgeInternals {
  const config: BridgeConfig = { ...DEFAULTS, ...partial };
  const log = options.logger ?? pino({ level: config.logLevel, base: { service: 'pulse-bridge' } });
  const intervalMs = options.unsafeIntervalMs ?? config.streamIntervalMs;
  let monitorRef: MonitorService | undefined;
  let lastRedisError = '';
  const redis = connectRedis(config.redisUrl, {
    timeoutMs: config.redisTimeoutMs,
    onError: (err) => {
      // Reconnect attempts repeat the same error: log it when it changes, not on every try.
      if (err.message !== lastRedisError) {
        lastRedisError = err.message;
        log.warn({ err: err.message }, 'redis connection error');
      }
    },
  });
  // The socket is open (with no ready check, 'ready' says no more): said as `redis reachable` by the monitor only once
  // Redis answers. A frozen Redis reopens sockets every few seconds that never answer.
  redis.client.on('ready', () => {
    // Back from an outage (or just connected): poll at once rather than at the next interval.
    if (!monitorRef?.isRedisUp()) setTimeout(() => monitorRef?.requestTick(), 50).unref();
  });
  redis.client.on('close', () => monitorRef?.connectionLost('connection closed'));
  const quasarReader = config.quasarRead ? new QuasarReader({ log }) : undefined;
  const monitor = new MonitorService(
    redis,
    {
      quasar: quasarReader,
      intervalMs,
      lostAfterMs: config.lostAfterMs,
      forgetAfterMs: config.forgetAfterMs,
      tickTimeoutMs: Math.max(config.redisTimeoutMs * 3, 1_000),
      redisTimeoutMs: config.redisTimeoutMs,
    },
    log,
  );
  monitorRef = monitor;
  const sse = new SseBroadcaster(
    { maxClients: config.sseMaxClients, maxBufferBytes: config.sseMaxBufferBytes, keepAliveMs: options.keepAliveMs },
    log,
    monitor.lastSnapshot(),
  );
  monitor.subscribe({
    snapshot: (snapshot) => sse.pulse(snapshot),
    slow: (events) =>
      sse.events(
        PULSE_EVENTS.slow,
        events.map((event) => ({ app: event.app, data: JSON.stringify(event) })),
      ),
    error: (events) =>
      sse.events(
        PULSE_EVENTS.error,
        events.map((event) => ({ app: event.app, data: JSON.stringify(event) })),
      ),
    status: (status) => {
      // Redis answers again: the next outage's connection error is logged, even if it is the last one's.
      if (status.redis_up) lastRedisError = '';
      sse.events(PULSE_EVENTS.status, [{ data: JSON.stringify(status) }]);
    },
  });
  // The mirror writes to Redis only when asked for (history, on by default, writes its own keys: see below).
  const mirror = config.zenithMirror ? new ZenithMirror(redis, log) : undefined;
  if (mirror) monitor.subscribe({ snapshot: (snapshot) => mirror.mirror(snapshot) });
  // PULSE_HISTORY_TIME_SCALE (tests that start the CLI) unless a test passes its own.
  const historyOptions: HistoryOptions = {
    ...HISTORY_DEFAULTS,
    timeScale: config.historyTimeScale,
    ...options.history,
    retention: config.history,
  };
  const history = config.history === 'off' ? undefined : new HistoryService(redis, historyOptions, log, quasarReader);
  if (history) monitor.subscribe({ snapshot: (snapshot) => history.snapshot(snapshot), slow: (events) => history.slow(events) });
  const zenith = new ZenithRoutes(
    monitor,
    new ZenithView(quasarReader),
    { maxClients: config.sseMaxClients, maxBufferBytes: config.sseMaxBufferBytes },
    log,
  );
  // The receiver writes GPP into the Redis the monitor reads: it is a source like any SDK.
  const otlp = config.otlp
    ? createOtlpSource(redis, config.redisTimeoutMs * 2, log, options.otlpSpanRules ?? otlpSpanRules(config))
    : undefined;
  const metrics = new BridgeMetrics(monitor, sse, {
    maxRoutesPerApp: config.metricsMaxRoutes,
    extension: withHistoryMetrics(
      withOtlpMetrics(quasarMetrics(quasarReader, monitor.agents.counts, mirror, zenith.stream), otlp?.receiver.counts),
      history?.counts,
    ),
    log,
  });
  const api = new PulseApi(redis, config.redisTimeoutMs * 2, () => monitor.caps.reached('api_reads', 1, { path: 'JSON API' }));
  const web = webRoutes(log);
  const { token, corsOrigins } = config;
  const app = createApp({
    monitor,
    sse,
    metrics,
    api,
    log,
    token,
    guessPolicy: options.guessPolicy,
    corsOrigins,
    zenith,
    web,
    otlp: otlp?.routes,
    history: historyRoutes({
      reader: history ? new HistoryReader(redis, historyOptions.timeScale) : undefined,
      retention: config.history,
      timeoutMs: config.redisTimeoutMs * 4,
      onRefused: () => monitor.caps.reached('api_reads', 1, { path: 'history' }),
    }),
  });
  const server = createLimitedServer(app);

  let stopping: Promise<void> | undefined;
  return {
    config,
    monitor,
    sse,
    metrics,
    redis,
    server,
    quasar: { reader: quasarReader, mirror, routes: zenith },
    otlp,
    history,
    start() {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          monitor.start();
          if (!config.token && !isLoopback(config.host)) {
            log.warn(
              { host: config.host },
              'PULSE_BRIDGE_TOKEN is not set and the bridge listens beyond loopback: anyone who can reach it reads every app and server (set PULSE_BRIDGE_TOKEN)',
            );
          }
          log.info({ host: address.address, port: address.port, intervalMs }, 'pulse-bridge listening');
          resolve({ host: address.address, port: address.port, url: `http://${host}:${address.port}` });
        });
      });
    },
    stop(timeoutMs = 4_000) {
      stopping ??= (async () => {
        sse.close();
        zenith.close();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const deadline = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
        const settled = monitor.stop().then(() => Promise.all([mirror?.settled(), history?.stop()]));
        await Promise.race([Promise.all([settled, closed]), deadline]);
        server.closeAllConnections();
        await redis.close();
        log.info('pulse-bridge stopped');
      })();
      return stopping;
    },
  };
}
