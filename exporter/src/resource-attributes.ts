import type { Attributes } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';

const isPromiseLike = (value: unknown): value is PromiseLike<unknown> => typeof (value as { then?: unknown } | null)?.then === 'function';

/**
 * The Resource's attributes known now. Its `attributes` getter logs an error ("Accessing resource attributes before
 * async attributes settled") while a detector's value is still pending, as the host detector's `host.id` is for the
 * first milliseconds of a process: a request that ends then would make Pulse log it. A pending value is left out, as
 * that getter leaves it out.
 */
export function settledAttributes(resource: Resource): Attributes {
  if (!resource.asyncAttributesPending || typeof resource.getRawAttributes !== 'function') return resource.attributes;
  const attributes: Attributes = {};
  for (const [key, value] of resource.getRawAttributes()) {
    if (value !== undefined && value !== null && !isPromiseLike(value)) attributes[key] ??= value;
  }
  return attributes;
}
