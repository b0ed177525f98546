import { hostname } from 'node:os';
import { TEXT_LIMITS, toSafeKeyPart, truncateText } from '@gravito/pulse-protocol';
import type { Attributes } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ResolvedOptions } from './config/options.js';
import { claimIdentity, releaseIdentities } from './identity-claims.js';
import { processWarnings } from './loud.js';
import { settledAttributes } from './resource-attributes.js';

/** Who is reporting: the same answer for heartbeats, slow entries and errors of one Resource. */
export interface Identity {
  /** Key-safe app name: `{app}` in every key. */
  app: string;
  /** Key-safe server id: `{id}` in the heartbeat key and `server_id` in entries. */
  serverId: string;
  /** Readable names for `meta`. */
  appName: string;
  environment: string;
  version: string;
}

type IdentityOptions = Pick<ResolvedOptions, 'appName' | 'environment' | 'version' | 'instanceId'>;

function attr(attributes: Attributes | undefined, name: string): string | undefined {
  const value = attributes?.[name];
  if (value === undefined || value === null) return undefined;
  const text = String(value);
  return text === '' ? undefined : text;
}

/** The protocol's surrogate-safe cut, under the name this package's modules use. */
export const truncate = truncateText;

export function resolveIdentity(resource: Resource | undefined, options: IdentityOptions): Identity {
  const attributes = resource && settledAttributes(resource);
  const appName = options.appName ?? attr(attributes, 'service.name') ?? 'unknown_service';
  const instance = options.instanceId ?? attr(attributes, 'service.instance.id') ?? `${hostname()}-${process.pid}`;
  const environment =
    options.environment ??
    attr(attributes, 'deployment.environment.name') ??
    attr(attributes, 'deployment.environment') ??
    process.env.NODE_ENV ??
    'production';
  return {
    app: toSafeKeyPart(appName),
    serverId: toSafeKeyPart(instance),
    appName: truncate(appName, TEXT_LIMITS.appName),
    environment: truncate(environment, TEXT_LIMITS.environment),
    version: truncate(options.version ?? attr(attributes, 'service.version') ?? '0.0.0', TEXT_LIMITS.version),
  };
}

/** OTel's default `service.name` when none was configured: `unknown_service` or `unknown_service:<executable>`. */
function isUnknownService(appName: string): boolean {
  return appName === 'unknown_service' || appName.startsWith('unknown_service:');
}

/**
 * Remembers the identity of the last Resource seen. A process has one Resource, so the hot path is
 * one reference comparison; a different Resource just recomputes. Each new identity is claimed for
 * this Pulse (see identity-claims.ts): `get` answers `undefined` when another Pulse of this process
 * already writes for the same app and server id, and this one must write nothing.
 */
export class IdentityCache {
  private lastResource: Resource | undefined;
  private last: Identity | undefined;
  private owned = false;

  constructor(private readonly options: IdentityOptions) {}

  get(resource: Resource | undefined): Identity | undefined {
    // Computed again while the Resource's async attributes are pending: one of them may name the service.
    if (this.last === undefined || resource !== this.lastResource || resource?.asyncAttributesPending) {
      this.last = resolveIdentity(resource, this.options);
      this.lastResource = resource;
      this.owned = claimIdentity(this.last.app, this.last.serverId, this);
      this.warnIfUseless(this.last);
    }
    return this.owned ? this.last : undefined;
  }

  /** Frees this Pulse's identities (on shutdown). */
  release(): void {
    releaseIdentities(this);
  }

  private warnIfUseless(identity: Identity): void {
    if (!this.owned) {
      processWarnings.loud(
        `duplicate:${identity.app}:${identity.serverId}`,
        `a second Pulse was created for app "${identity.appName}" and server "${identity.serverId}" in this process: it writes nothing, the first one does. Create Pulse once per process, or give each its own instanceId.`,
      );
    }
    if (this.options.appName === undefined && isUnknownService(identity.appName)) {
      processWarnings.loud(
        'unknown-service',
        `service.name is unknown ("${identity.appName}"): set OTEL_SERVICE_NAME (or Pulse's appName option). Until then Pulse reports as app "${identity.app}".`,
      );
    }
  }
}
