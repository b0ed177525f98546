import { createRequire } from 'node:module';
import { diag, type Sampler } from '@opentelemetry/api';
import { getNumberFromEnv, getStringFromEnv } from '@opentelemetry/core';
import { PulseConfigError } from '../config/options.js';

/** The sampler classes every line of the span SDK exports. */
interface SpanSdkSamplers {
  AlwaysOnSampler: new () => Sampler;
  AlwaysOffSampler: new () => Sampler;
  TraceIdRatioBasedSampler: new (ratio: number) => Sampler;
  ParentBasedSampler: new (config: { root: Sampler }) => Sampler;
}

/** NodeSDK's span SDK: sdk-trace on 3.x and from 2.12 on, sdk-trace-base before. */
const SPAN_SDKS = ['@opentelemetry/sdk-trace', '@opentelemetry/sdk-trace-base'];

const WITHOUT_NODE_SDK =
  "recordUnsampled() without a sampler builds NodeSDK's default one, which needs @opentelemetry/sdk-node; without NodeSDK, " +
  'pass the sampler your TracerProvider would use: recordUnsampled(new ParentBasedSampler({ root: new AlwaysOnSampler() }))';

/**
 * The samplers of the span SDK that NodeSDK itself uses, resolved from sdk-node's own folder (as esm-hook.ts resolves
 * import-in-the-middle from the instrumentation package): found whatever the package manager's layout, and Pulse
 * declares no span SDK peer.
 */
function nodeSdkSamplers(): SpanSdkSamplers {
  let nodeSdk: string;
  try {
    nodeSdk = createRequire(import.meta.url).resolve('@opentelemetry/sdk-node');
  } catch {
    throw new PulseConfigError(`@gravito/pulse-node: ${WITHOUT_NODE_SDK}`);
  }
  const fromNodeSdk = createRequire(nodeSdk);
  for (const name of SPAN_SDKS) {
    try {
      return fromNodeSdk(name) as SpanSdkSamplers;
    } catch (err) {
      if ((err as { code?: string }).code !== 'MODULE_NOT_FOUND') throw err;
    }
  }
  throw new PulseConfigError(
    `@gravito/pulse-node: no span SDK (${SPAN_SDKS.join(', ')}) next to @opentelemetry/sdk-node; ${WITHOUT_NODE_SDK}`,
  );
}

const DEFAULT_RATIO = 1;

function samplerRatioFromEnv(): number {
  const ratio = getNumberFromEnv('OTEL_TRACES_SAMPLER_ARG');
  if (ratio === undefined) {
    diag.error(`OTEL_TRACES_SAMPLER_ARG is blank, defaulting to ${DEFAULT_RATIO}.`);
    return DEFAULT_RATIO;
  }
  if (ratio < 0 || ratio > 1) {
    diag.error(`OTEL_TRACES_SAMPLER_ARG=${ratio} was given, but it is out of range ([0..1]), defaulting to ${DEFAULT_RATIO}.`);
    return DEFAULT_RATIO;
  }
  return ratio;
}

function samplerFromEnv(sdk: SpanSdkSamplers, name: string): Sampler | undefined {
  switch (name) {
    case 'always_on':
      return new sdk.AlwaysOnSampler();
    case 'always_off':
      return new sdk.AlwaysOffSampler();
    case 'parentbased_always_on':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOffSampler() });
    case 'traceidratio':
      return new sdk.TraceIdRatioBasedSampler(samplerRatioFromEnv());
    case 'parentbased_traceidratio':
      return new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(samplerRatioFromEnv()) });
    default:
      diag.error(`unknown OTEL_TRACES_SAMPLER value "${name}", using default`);
      return undefined;
  }
}

/**
 * The sampler NodeSDK uses when given none: `OTEL_TRACES_SAMPLER` (and `OTEL_TRACES_SAMPLER_ARG`), else its
 * TracerProvider's default, ParentBased(AlwaysOn). A copy of sdk-node's `createSamplerFromEnv` (the same in 0.223 and
 * 0.301: names, fallbacks, diag messages), which sdk-node does not export; the samplers are the SDK's own.
 */
export function nodeSdkDefaultSampler(): Sampler {
  const sdk = nodeSdkSamplers();
  const name = getStringFromEnv('OTEL_TRACES_SAMPLER');
  return (name === undefined ? undefined : samplerFromEnv(sdk, name)) ?? new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() });
}
