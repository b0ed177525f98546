import type { OtlpEncoding, OtlpSignal } from './decode.js';
import type { OtlpRefusal } from './limits.js';
import type { OtlpSchema } from './proto-schema.js';

export interface EncodedResponse {
  contentType: string;
  body: Buffer;
}

const CONTENT_TYPE: Record<OtlpEncoding, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

/**
 * A 200's body, in the request's encoding: an empty `Export…ServiceResponse` when all was taken, else
 * `partial_success` with the count rejected and why (the client logs it and does not retry).
 */
export function successResponse(
  schema: OtlpSchema,
  signal: OtlpSignal,
  encoding: OtlpEncoding,
  rejected: number,
  message: string,
): EncodedResponse {
  const rejectedField = signal === 'metrics' ? 'rejectedDataPoints' : 'rejectedSpans';
  const partial = rejected > 0 || message !== '' ? { partialSuccess: { [rejectedField]: rejected, errorMessage: message } } : {};
  if (encoding === 'json') {
    // OTLP JSON: int64 as a decimal string.
    const json = rejected > 0 || message !== '' ? { partialSuccess: { [rejectedField]: String(rejected), errorMessage: message } } : {};
    return { contentType: CONTENT_TYPE.json, body: Buffer.from(JSON.stringify(json)) };
  }
  const type = signal === 'metrics' ? schema.metricsResponse : schema.tracesResponse;
  return { contentType: CONTENT_TYPE.protobuf, body: Buffer.from(type.encode(type.fromObject(partial)).finish()) };
}

/** gRPC codes for OTLP/HTTP's `google.rpc.Status` bodies. */
const GRPC_CODE: Record<OtlpRefusal['status'], number> = { 400: 3, 413: 8, 415: 3, 429: 8, 503: 14 };

/** An error's body, `google.rpc.Status`, in the request's encoding (JSON when the encoding itself was refused). */
export function statusResponse(schema: OtlpSchema, encoding: OtlpEncoding, refusal: OtlpRefusal): EncodedResponse {
  const status = { code: GRPC_CODE[refusal.status], message: refusal.message };
  if (encoding === 'json') return { contentType: CONTENT_TYPE.json, body: Buffer.from(JSON.stringify(status)) };
  return { contentType: CONTENT_TYPE.protobuf, body: Buffer.from(schema.status.encode(schema.status.fromObject(status)).finish()) };
}
