import { figuresByResource } from './figures.js';
import { type OtlpHeartbeatResult, type OtlpServerMemory, otlpHeartbeat } from './heartbeat.js';
import { type OtlpIdentity, otlpIdentity, otlpResourceMeta } from './resource.js';
import type { OtlpMetricsRequest } from './types.js';

export interface OtlpServerHeartbeat extends OtlpHeartbeatResult, OtlpIdentity {}

export interface OtlpMetricsMapping {
  /** One per resource with an identity, in request order (a server sent twice in one request: the last one counts). */
  servers: OtlpServerHeartbeat[];
  /** Data points of resources refused for want of an identity (OTLP's `partial_success.rejected_data_points`). */
  rejectedPoints: number;
  /** Why, once per reason. */
  errors: string[];
}

export interface OtlpMetricsOptions {
  now: number;
  /** What the receiver kept of a server from its previous export. */
  previous: (identity: OtlpIdentity) => OtlpServerMemory | undefined;
}

/** An OTLP metrics export request → a heartbeat per server (when the required figures are known). Never throws. */
export function otlpMetricsToHeartbeats(request: OtlpMetricsRequest, options: OtlpMetricsOptions): OtlpMetricsMapping {
  const servers: OtlpServerHeartbeat[] = [];
  const errors = new Set<string>();
  let rejectedPoints = 0;
  for (const { resource, figures, points } of figuresByResource(request)) {
    const identity = otlpIdentity(resource);
    if ('refused' in identity) {
      rejectedPoints += points;
      errors.add(identity.refused);
      continue;
    }
    const previous = options.previous(identity);
    const result = otlpHeartbeat(otlpResourceMeta(resource), figures, previous, { now: options.now, id: identity.id });
    servers.push({ ...identity, ...result });
  }
  return { servers, rejectedPoints, errors: [...errors] };
}
