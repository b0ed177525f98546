import type { SpanRules } from '@gravito/pulse-protocol';
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { RedisHandle } from '../../redis/connection.js';
import { loadOtlpSchema } from './proto-schema.js';
import { OtlpReceiver } from './receiver.js';
import { OtlpRedisWriter } from './redis-writer.js';
import { otlpRoutes } from './routes.js';

/** The OTLP receiver as the bridge assembles it: the receiver (its counts for /metrics) and its routes. */
export interface OtlpSource {
  receiver: OtlpReceiver;
  routes: Router;
}

export function createOtlpSource(redis: RedisHandle, writeTimeoutMs: number, log: Logger, rules: SpanRules): OtlpSource {
  const schema = loadOtlpSchema();
  const receiver = new OtlpReceiver(schema, new OtlpRedisWriter(redis, writeTimeoutMs), rules);
  log.info('OTLP/HTTP receiver on POST /v1/metrics and /v1/traces');
  return { receiver, routes: otlpRoutes(schema, receiver, log) };
}
