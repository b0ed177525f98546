import { TEXT_LIMITS } from '../constants.js';
import { toSafeKeyPart } from '../keys.js';
import { isKnownRuntime } from '../runtime.js';
import type { PulseRuntime } from '../schema/heartbeat.js';
import { truncateText } from '../text.js';
import type { OtlpResource } from './types.js';
import { firstText, integerAttribute, textAttribute } from './values.js';

/** Where one resource's data goes: `pulse:*:{app}`, from server `{id}`. */
export interface OtlpIdentity {
  app: string;
  id: string;
}

/** What a resource says of its server besides its identity; a text field it does not say reads `unknown`. */
export interface OtlpResourceMeta {
  appName: string;
  environment: string;
  version: string;
  runtime: PulseRuntime;
  runtimeVersion?: string;
  hostname: string;
  platform: string;
  pid?: number;
  /** `meta.sdk`: `otlp` and the SDK's `telemetry.sdk.name/language/version`, e.g. `otlp opentelemetry/nodejs/2.12.1`. */
  sdk: string;
}

/** Text a resource did not send, as the Quasar mapping writes it: a heartbeat's text fields are required. */
export const OTLP_UNKNOWN_TEXT = 'unknown';

/**
 * `service.name` → app and `service.instance.id` (else `host.name` + `-` + `process.pid`, the Node SDK's own id) →
 * server id, both through the key-safety rule. A resource without a service name or a server identity is refused
 * with the reason: Pulse cannot tell whose data it is.
 */
export function otlpIdentity(resource: OtlpResource | undefined): OtlpIdentity | { refused: string } {
  const attributes = resource?.attributes;
  const service = textAttribute(attributes, 'service.name');
  if (service === undefined) return { refused: 'no service.name on the resource' };
  const instance = textAttribute(attributes, 'service.instance.id');
  if (instance !== undefined) return { app: toSafeKeyPart(service), id: toSafeKeyPart(instance) };
  const host = textAttribute(attributes, 'host.name');
  const pid = integerAttribute(attributes, 'process.pid');
  if (host === undefined || pid === undefined) {
    return {
      refused: `no server identity for service ${JSON.stringify(truncateText(service, 64))}: set service.instance.id, or host.name and process.pid`,
    };
  }
  return { app: toSafeKeyPart(service), id: toSafeKeyPart(`${host}-${pid}`) };
}

/**
 * `telemetry.sdk.language` (OpenTelemetry's list) → GPP's runtime. `nodejs` is `node` unless `process.runtime.name`
 * says Bun or Deno; a language GPP does not list is `other` (as a writer must write it; README, "Unknown runtimes").
 */
export function otlpRuntime(resource: OtlpResource | undefined): PulseRuntime {
  const attributes = resource?.attributes;
  const language = textAttribute(attributes, 'telemetry.sdk.language')?.toLowerCase();
  if (language === undefined) return 'other';
  if (language === 'nodejs') {
    const name = textAttribute(attributes, 'process.runtime.name')?.toLowerCase();
    return name === 'bun' || name === 'deno' ? name : 'node';
  }
  return isKnownRuntime(language) ? language : 'other';
}

/** OpenTelemetry's `os.type` values are GPP's `system.platform` (Node's names) but for Windows. */
const PLATFORM: Readonly<Record<string, string>> = { windows: 'win32' };

export function otlpResourceMeta(resource: OtlpResource | undefined): OtlpResourceMeta {
  const a = resource?.attributes;
  const text = (value: string | undefined, max: number) => (value === undefined ? OTLP_UNKNOWN_TEXT : truncateText(value, max));
  const os = textAttribute(a, 'os.type');
  const runtimeVersion = textAttribute(a, 'process.runtime.version');
  const pid = integerAttribute(a, 'process.pid');
  return {
    appName: text(textAttribute(a, 'service.name'), TEXT_LIMITS.appName),
    environment: text(firstText(a, ['deployment.environment.name', 'deployment.environment']), TEXT_LIMITS.environment),
    version: text(textAttribute(a, 'service.version'), TEXT_LIMITS.version),
    runtime: otlpRuntime(resource),
    ...(runtimeVersion === undefined ? {} : { runtimeVersion: truncateText(runtimeVersion, TEXT_LIMITS.runtimeVersion) }),
    hostname: text(textAttribute(a, 'host.name'), TEXT_LIMITS.hostname),
    platform: text(os === undefined ? undefined : (PLATFORM[os] ?? os), TEXT_LIMITS.platform),
    ...(pid !== undefined && pid >= 0 && pid <= 2 ** 31 ? { pid } : {}),
    sdk: truncateText(
      [
        'otlp',
        [textAttribute(a, 'telemetry.sdk.name'), textAttribute(a, 'telemetry.sdk.language'), textAttribute(a, 'telemetry.sdk.version')]
          .filter(Boolean)
          .join('/'),
      ]
        .filter(Boolean)
        .join(' '),
      TEXT_LIMITS.sdk,
    ),
  };
}
