import { Type } from '@sinclair/typebox';

/**
 * Field types shared by every GPP payload. They are factories, so that each use can carry its
 * own description into the JSON Schema.
 */

/** Epoch milliseconds. The lower bound (2001-09-09) rejects a seconds value sent by mistake. */
export const EpochMillis = (description = 'Unix epoch time in milliseconds') =>
  Type.Integer({ minimum: 1_000_000_000_000, maximum: 100_000_000_000_000, description });

export const Bytes = (description = 'bytes') => Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description });

export const Percent = (description = 'percentage, 0 to 100') => Type.Number({ minimum: 0, maximum: 100, description });

export const Ratio = (description = 'ratio, 0 to 1') => Type.Number({ minimum: 0, maximum: 1, description });

export const Millis = (description = 'milliseconds') => Type.Number({ minimum: 0, maximum: 1e12, description });

export const Text = (maxLength: number, description: string) => Type.String({ minLength: 1, maxLength, description });

/** A key-safe name: see `toSafeKeyPart`. */
export const KeyPart = (description = 'key-safe name: 1 to 64 characters of [A-Za-z0-9._-]') =>
  Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$', description });

export const TraceId = () => Type.String({ pattern: '^[0-9a-f]{32}$', description: 'W3C trace id, 32 lowercase hex' });
export const SpanId = () => Type.String({ pattern: '^[0-9a-f]{16}$', description: 'W3C span id, 16 lowercase hex' });
