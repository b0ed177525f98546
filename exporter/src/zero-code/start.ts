import { createRequire } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import { diag } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { defaultResource, detectResources, envDetector, hostDetector, processDetector } from '@opentelemetry/resources';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import { PulseConfigError } from '../config/options.js';
import { PulseRecorder } from '../recorder.js';
import { recordUnsampled } from '../sampling/record-unsampled.js';
import { clientInstrumentations } from './client-instrumentations.js';
import { pulseDisabled, pulseOptionsFromEnv } from './env-options.js';

/** What the register entry started. */
export interface ZeroCode {
  readonly sdk: NodeSDK;
  /** Pulse's heartbeat loop and span processor; undefined with `PULSE_DISABLED=true`. */
  readonly recorder: PulseRecorder | undefined;
  /** Shuts the SDK down, then Pulse. Idempotent, bounded (Pulse's own bounds), never rejects. */
  shutdown(): Promise<void>;
}

const INSTALL =
  'npm i @gravito/pulse-node @opentelemetry/api@1.9 @opentelemetry/sdk-node @opentelemetry/instrumentation-http @opentelemetry/instrumentation-express';

const require = createRequire(import.meta.url);

/** The OpenTelemetry packages the entry starts are optional peers: name the install line when one is missing. */
function load<T>(name: string): T {
  try {
    return require(name) as T;
  } catch (err) {
    if ((err as { code?: string }).code !== 'MODULE_NOT_FOUND') throw err;
    throw new PulseConfigError(`@gravito/pulse-node/register needs ${name}; install the zero-code set: ${INSTALL}`);
  }
}

/**
 * NodeSDK with the HTTP and Express instrumentations, the client ones whose packages the app has (pg, mysql2, ioredis,
 * undici: `clientInstrumentations`), and Pulse's span processor, plus Pulse's
 * heartbeat loop, configured from the environment: NodeSDK reads the `OTEL_*` variables (sampler,
 * propagators, log level), the Resource comes from OTel's default detectors (`OTEL_SERVICE_NAME`,
 * `OTEL_RESOURCE_ATTRIBUTES`, process, host), and `pulseOptionsFromEnv` reads the `PULSE_*` ones.
 * Traces go to Pulse only: the entry adds no OTLP exporter. The sampler is `recordUnsampled()` around NodeSDK's own
 * default (`OTEL_TRACES_SAMPLER`), so that Pulse sees every request, whatever its trace's sampling decision.
 *
 * The heartbeat runs on Pulse's own MeterProvider (PulseRecorder), not NodeSDK's: with any metric
 * reader in NodeSDK, instrumentation-http records a duration histogram on every request, which costs
 * about 5 % of throughput for metrics nobody reads here (docs/benchmarks.md). Both share one Resource,
 * so heartbeats and entries describe the same service and instance.
 */
export function startZeroCode(): ZeroCode {
  const { NodeSDK } = load<typeof import('@opentelemetry/sdk-node')>('@opentelemetry/sdk-node');
  const { HttpInstrumentation } = load<typeof import('@opentelemetry/instrumentation-http')>('@opentelemetry/instrumentation-http');
  const { ExpressInstrumentation } = load<typeof import('@opentelemetry/instrumentation-express')>(
    '@opentelemetry/instrumentation-express',
  );
  const resource = defaultResource().merge(detectResources({ detectors: [envDetector, processDetector, hostDetector] }));
  const recorder = pulseDisabled() ? undefined : new PulseRecorder({ ...pulseOptionsFromEnv(), resource });
  // `--import` runs in every worker thread too. The heartbeat describes the process, so only the main thread
  // writes it (a worker's would overwrite it with the worker's heap, and say `stopped` when the worker ends); a
  // worker's slow requests, queries, outgoing calls and exceptions are recorded all the same.
  if (isMainThread) recorder?.start();
  const clients = clientInstrumentations();
  const instrumentations: Instrumentation[] = [new HttpInstrumentation(), new ExpressInstrumentation(), ...clients.instrumentations];
  const sdk = new NodeSDK({
    resource,
    autoDetectResources: false,
    metricReaders: [],
    sampler: recorder ? recordUnsampled() : undefined,
    spanProcessors: recorder ? [recorder.spanProcessor] : [],
    instrumentations,
  });
  sdk.start();
  // Said once NodeSDK has installed its diag logger (OTEL_LOG_LEVEL): Pulse is quiet on stderr while it works.
  diag.info(`[pulse] zero-code instrumentations: ${['http', 'express', ...clients.names].join(', ')}`);
  for (const problem of clients.problems) diag.warn(`[pulse] ${problem}`);
  let stopping: Promise<void> | undefined;
  const zeroCode: ZeroCode = {
    sdk,
    recorder,
    shutdown() {
      stopping ??= (async () => {
        await sdk.shutdown().catch(() => {});
        await recorder?.stop();
      })();
      return stopping;
    },
  };
  stopOnSignals(zeroCode);
  return zeroCode;
}

/**
 * SIGTERM and SIGINT shut the SDK and Pulse down. When the app has no listener of its own for the
 * signal, the signal is raised again afterwards, so the process ends as it would have without Pulse
 * (a listener of ours must not keep a process alive that was asked to stop). A natural exit
 * (`beforeExit`) shuts down too.
 */
function stopOnSignals(zeroCode: ZeroCode): void {
  const onSignal = (signal: NodeJS.Signals) => {
    void zeroCode.shutdown().then(() => {
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  process.once('beforeExit', () => void zeroCode.shutdown());
}
