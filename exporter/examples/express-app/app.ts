// The example app's routes. Plain express 5: nothing here knows about Pulse, only OpenTelemetry.
import { createRequire } from 'node:module';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Express, NextFunction, Request, Response } from 'express';

// Loaded through require() so that ExpressInstrumentation (require-in-the-middle) patches it
// without an ESM loader hook.
const require = createRequire(import.meta.url);
const express = require('express') as typeof import('express');

const tracer = trace.getTracer('example-app');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function delayFrom(req: Request, fallback: number): number {
  const ms = Number(req.query.ms ?? fallback);
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, 60_000) : fallback;
}

export function createApp(): Express {
  const app = express();
  const slowDefault = Number(process.env.SLOW_DELAY_MS ?? 1200);

  app.get('/', (_req, res) => {
    res.json({ ok: true });
  });

  app.get('/slow/:id', async (req, res) => {
    const ms = delayFrom(req, slowDefault);
    await sleep(ms);
    res.json({ id: req.params.id, waited_ms: ms });
  });

  app.get('/error', () => {
    throw new TypeError('example failure from /error');
  });

  // A job-like CONSUMER span, as a queue worker would create for each message it processes.
  app.get('/job', async (req, res) => {
    const ms = delayFrom(req, 20);
    const name = typeof req.query.name === 'string' && req.query.name !== '' ? req.query.name : 'send-email';
    await tracer.startActiveSpan(name, { kind: SpanKind.CONSUMER, attributes: { 'messaging.operation.type': 'process' } }, async (span) => {
      try {
        await sleep(ms);
        if (req.query.fail === '1') throw new Error(`job ${name} failed`);
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
      } finally {
        span.end();
      }
    });
    res.json({ job: name, waited_ms: ms });
  });

  // Answer errors quietly: the exception is already on the span, where Pulse reads it.
  app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).json({ error: err.message });
  });
  return app;
}
