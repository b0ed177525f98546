import { type Request, type Response, Router } from 'express';
import type { Logger } from 'pino';
import { readBody } from './body.js';
import { encodingOf, type OtlpEncoding, type OtlpSignal } from './decode.js';
import { OTLP_LIMITS, OtlpRefusal, RETRY_AFTER_SECONDS } from './limits.js';
import type { OtlpSchema } from './proto-schema.js';
import type { OtlpReceiver } from './receiver.js';
import { statusResponse } from './response.js';

export const OTLP_PATHS: Record<OtlpSignal, string> = { metrics: '/v1/metrics', traces: '/v1/traces' };

/**
 * OTLP/HTTP's two paths. Mounted after the token check: a client sends `Authorization: Bearer …` through
 * `OTEL_EXPORTER_OTLP_HEADERS`. Each request is transport only: the encoding from Content-Type, the body read under
 * its cap, then the receiver; a refusal becomes its status, a `google.rpc.Status` body, and `Retry-After` when the
 * client should retry.
 */
export function otlpRoutes(schema: OtlpSchema, receiver: OtlpReceiver, log: Logger): Router {
  const router = Router();
  let inFlight = 0;
  const loggedFailures = new Set<string>();
  for (const signal of ['metrics', 'traces'] as const) {
    router.post(OTLP_PATHS[signal], async (req: Request, res: Response) => {
      let encoding: OtlpEncoding = 'json';
      try {
        encoding = encodingOf(req.headers['content-type']);
        if (inFlight >= OTLP_LIMITS.concurrentRequests) {
          throw new OtlpRefusal(429, 'refused_busy', `more than ${OTLP_LIMITS.concurrentRequests} OTLP requests at once: retry later`);
        }
        inFlight++;
        try {
          receiver.checkWritable();
          const body = await readBody(req);
          const answer = await receiver.receive(signal, encoding, body);
          res.status(200).type(answer.contentType).send(answer.body);
        } finally {
          inFlight--;
        }
      } catch (err) {
        const refusal = err instanceof OtlpRefusal ? err : unexpected(err, log, loggedFailures);
        receiver.counts.add(signal, refusal.event);
        const answer = statusResponse(schema, encoding, refusal);
        if (refusal.retryable) res.set('Retry-After', String(RETRY_AFTER_SECONDS));
        // A refused body may still be arriving: close the connection rather than read the rest.
        if (!req.complete) res.set('Connection', 'close');
        res.status(refusal.status).type(answer.contentType).send(answer.body);
      }
    });
  }
  return router;
}

/** A failure no refusal names (a bug, not the client's doing): logged once per message, answered 503 so no data is lost. */
function unexpected(err: unknown, log: Logger, logged: Set<string>): OtlpRefusal {
  const message = (err as Error)?.message ?? String(err);
  if (!logged.has(message) && logged.size < 100) {
    logged.add(message);
    log.error({ err }, 'OTLP request failed');
  }
  return new OtlpRefusal(503, 'refused_redis', 'the receiver failed: retry later');
}
