import {
  type Attributes,
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { DiagOnce, errorMessage } from '../diag-once.js';
import { SDK_NAME, SDK_VERSION } from '../version.js';

export interface WithPulseOptions {
  /**
   * The route template, e.g. `'/orders/:id'`: Pulse groups slow requests and errors by it. A string for a handler
   * that serves one route (a `Bun.serve` `routes` entry); a function for a `fetch` handler that routes itself.
   * Without a route, a request is named by its method alone: never by its URL, which would make every request
   * its own group.
   */
  route?: string | ((request: Request) => string | undefined);
  /** Where the spans go. Default: the global TracerProvider (the one `provider.register()` set). */
  tracerProvider?: TracerProvider;
}

/**
 * A handler as `Bun.serve` calls it: the request, then the server (or nothing). `R` is the request as the caller
 * types it (Bun's `BunRequest<'/orders/:id'>` in a `routes` entry, with its `params`).
 */
export type FetchHandler<Rest extends unknown[], R extends Request = Request> = (request: R, ...rest: Rest) => Response | Promise<Response>;

const headers: TextMapGetter<Headers> = {
  get: (carrier, key) => carrier.get(key) ?? undefined,
  keys: (carrier) => [...carrier.keys()],
};

const diag = new DiagOnce();

function routeOf(option: WithPulseOptions['route'], request: Request): string | undefined {
  if (typeof option !== 'function') return option;
  try {
    return option(request) || undefined;
  } catch (err) {
    diag.warn('route', `withPulse: the route function threw, the request is named by its method: ${errorMessage(err)}`);
    return undefined;
  }
}

/**
 * Wraps a fetch-style handler (`Bun.serve`, or any `(Request) => Response`) in a SERVER span with the stable HTTP
 * attributes OpenTelemetry's HTTP instrumentation sets on Node, which does not see `Bun.serve`: `http.route`,
 * `http.request.method`, `url.path`, `http.response.status_code`, and an exception event when the handler throws.
 * Pulse's span processor turns those spans into slow entries and errors exactly as it does for Node apps.
 * The handler runs inside the span's context (child spans nest under it), and an incoming `traceparent` is
 * continued. The span ends when the handler returns its Response, before a streamed body is sent.
 */
export function withPulse<Rest extends unknown[], R extends Request = Request>(
  handler: FetchHandler<Rest, R>,
  options: WithPulseOptions = {},
): FetchHandler<Rest, R> {
  // The global API hands out a proxy tracer, so wrapping before the provider is registered is fine.
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SDK_NAME, SDK_VERSION);
  return async (request, ...rest) => {
    const route = routeOf(options.route, request);
    const method = request.method;
    const attributes: Attributes = { 'http.request.method': method, 'url.path': new URL(request.url).pathname };
    if (route !== undefined) attributes['http.route'] = route;
    const parent = propagation.extract(context.active(), request.headers, headers);
    const span = tracer.startSpan(route === undefined ? method : `${method} ${route}`, { kind: SpanKind.SERVER, attributes }, parent);
    try {
      const response = await context.with(trace.setSpan(parent, span), () => handler(request, ...rest));
      span.setAttribute('http.response.status_code', response.status);
      if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      return response;
    } catch (err) {
      // Recorded, then thrown on unchanged: Bun.serve's `error` handler (or its default 500) answers.
      span.recordException(err instanceof Error ? err : String(err));
      span.setAttribute('error.type', err instanceof Error ? err.name : 'Error');
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
      throw err;
    } finally {
      span.end();
    }
  };
}
