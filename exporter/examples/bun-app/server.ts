// The example app on Bun: Bun.serve with Pulse. The same routes as the express example, so that its traffic
// generator and the dashboards work unchanged.
//   REDIS_URL=redis://127.0.0.1:6379 bun exporter/examples/bun-app/server.ts
// env: PORT (3000; 0 picks a free port), REDIS_URL, PULSE_APP_NAME (example-bun-app), PULSE_INTERVAL_MS (5000),
//      PULSE_TTL_SECONDS (30), PULSE_FLUSH_INTERVAL_MS (1000), SLOW_DELAY_MS (1200).
// OpenTelemetry's HTTP instrumentation does not see Bun.serve: withPulse opens the SERVER span of each request.
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { type FetchHandler, PulseRecorder, withPulse } from '../../src/index.js';

/** The slice of Bun's API this example uses (the workspace does not install Bun's type package). */
type RouteRequest = Request & { params: Record<string, string> };
declare const Bun: {
  serve(options: {
    port: number;
    hostname: string;
    routes: Record<string, FetchHandler<[]>>;
    fetch: FetchHandler<[]>;
    error: (err: Error) => Response;
  }): { port: number; stop(closeActiveConnections?: boolean): Promise<void> };
};

const envNumber = (name: string): number | undefined => (process.env[name] ? Number(process.env[name]) : undefined);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const recorder = new PulseRecorder({
  redis: process.env.REDIS_URL,
  appName: process.env.PULSE_APP_NAME ?? 'example-bun-app',
  intervalMs: envNumber('PULSE_INTERVAL_MS'),
  ttlSeconds: envNumber('PULSE_TTL_SECONDS'),
  flushIntervalMs: envNumber('PULSE_FLUSH_INTERVAL_MS'),
}).start();
// register(): the global TracerProvider withPulse uses, and an AsyncLocalStorage context manager (Bun has one),
// so that spans opened inside a handler nest under its request.
const provider = new NodeTracerProvider({ spanProcessors: [recorder.spanProcessor] });
provider.register();
const tracer = trace.getTracer('example-bun-app');

function delayFrom(request: Request, fallback: number): number {
  const ms = Number(new URL(request.url).searchParams.get('ms') ?? fallback);
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, 60_000) : fallback;
}

const slowDefault = Number(process.env.SLOW_DELAY_MS ?? 1200);
const handlers: Record<string, FetchHandler<[]>> = {
  '/': () => Response.json({ ok: true }),
  '/slow/:id': async (request) => {
    const ms = delayFrom(request, slowDefault);
    await sleep(ms);
    return Response.json({ id: (request as RouteRequest).params.id, waited_ms: ms });
  },
  '/error': () => {
    throw new TypeError('example failure from /error');
  },
  // Blocks the event loop (synchronous work), for the heartbeat's event-loop delay to show.
  '/block': (request) => {
    const until = performance.now() + delayFrom(request, 200);
    while (performance.now() < until) {}
    return Response.json({ blocked: true });
  },
  // A job-like CONSUMER span, as a queue worker would create for each message it processes.
  '/job': async (request) => {
    const ms = delayFrom(request, 20);
    const name = new URL(request.url).searchParams.get('name') || 'send-email';
    const fail = new URL(request.url).searchParams.get('fail') === '1';
    await tracer.startActiveSpan(name, { kind: SpanKind.CONSUMER, attributes: { 'messaging.operation.type': 'process' } }, async (span) => {
      try {
        await sleep(ms);
        if (fail) throw new Error(`job ${name} failed`);
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
      } finally {
        span.end();
      }
    });
    return Response.json({ job: name, waited_ms: ms });
  },
};

// Each route's handler, wrapped with its own route template.
const routes = Object.fromEntries(Object.entries(handlers).map(([route, handler]) => [route, withPulse(handler, { route })]));

const server = Bun.serve({
  port: Number(process.env.PORT ?? 3000),
  hostname: '127.0.0.1',
  routes,
  fetch: withPulse(() => new Response('not found', { status: 404 })),
  // Answer errors quietly: the exception is already on the span, where Pulse reads it.
  error: (err) => Response.json({ error: err.message }, { status: 500 }),
});
console.log(`listening on http://127.0.0.1:${server.port}`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await server.stop(true);
  await provider.shutdown().catch(() => {});
  await recorder.stop();
  process.exit(0);
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
