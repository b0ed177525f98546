import {
  ERRORS_MAX_MEMBERS,
  ERRORS_WINDOW_MS,
  errorMember,
  errorsKey,
  heartbeatKey,
  type OtlpEntry,
  otlpHeartbeatTtlSeconds,
  type PulseHeartbeat,
  SLOW_STREAM_MAXLEN,
  slowKey,
  slowStreamFields,
  validateErrorEntry,
  validateHeartbeat,
  validateSlowEntry,
} from '@gravito/pulse-protocol';

/** One Redis command: name, key, arguments. */
export type OtlpCommand = readonly [name: string, key: string, ...args: Array<string | number>];

export interface OtlpCommands {
  commands: OtlpCommand[];
  heartbeats: number;
  entries: number;
  /** Payloads the mapping built that fail GPP's schema: never written, counted. */
  invalid: number;
}

/**
 * The serializer: GPP's writes, with the Node exporter's keys, TTLs and caps (the protocol's key builders and
 * storage helpers):
 * - a heartbeat is `SET pulse:server:{app}:{id} <json> EX <ttl>`, the TTL following the server's export interval
 *   (`otlpHeartbeatTtlSeconds`);
 * - a slow entry is `XADD pulse:slow:{app} MAXLEN ~ 1000 * entry <json>`;
 * - an error is `ZADD pulse:errors:{app} <ts> <json>`, then once per app the window and count trims and `EXPIRE`.
 * Every payload is validated first, as a writer must.
 */
export function otlpCommands(
  heartbeats: ReadonlyArray<{ app: string; id: string; heartbeat: PulseHeartbeat }>,
  entries: readonly OtlpEntry[],
  now: number,
): OtlpCommands {
  const commands: OtlpCommand[] = [];
  let invalid = 0;
  let heartbeatCount = 0;
  let entryCount = 0;
  for (const { app, id, heartbeat } of heartbeats) {
    if (!validateHeartbeat(heartbeat).ok) {
      invalid++;
      continue;
    }
    const ttl = otlpHeartbeatTtlSeconds(heartbeat.meta.interval_ms ?? 0);
    commands.push(['set', heartbeatKey(app, id), JSON.stringify(heartbeat), 'EX', ttl]);
    heartbeatCount++;
  }
  const errorKeys = new Set<string>();
  for (const item of entries) {
    if (item.type === 'slow') {
      if (!validateSlowEntry(item.entry).ok) {
        invalid++;
        continue;
      }
      commands.push(['xadd', slowKey(item.app), 'MAXLEN', '~', SLOW_STREAM_MAXLEN, '*', ...slowStreamFields(item.entry)]);
    } else {
      if (!validateErrorEntry(item.entry).ok) {
        invalid++;
        continue;
      }
      const key = errorsKey(item.app);
      const { score, member } = errorMember(item.entry);
      commands.push(['zadd', key, score, member]);
      errorKeys.add(key);
    }
    entryCount++;
  }
  for (const key of errorKeys) {
    commands.push(['zremrangebyscore', key, '-inf', `(${now - ERRORS_WINDOW_MS}`]);
    commands.push(['zremrangebyrank', key, 0, -(ERRORS_MAX_MEMBERS + 1)]);
    commands.push(['expire', key, Math.ceil(ERRORS_WINDOW_MS / 1000)]);
  }
  return { commands, heartbeats: heartbeatCount, entries: entryCount, invalid };
}
