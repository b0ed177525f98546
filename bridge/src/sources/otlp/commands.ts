import {
  errorEntryWrite,
  errorSetTrims,
  heartbeatKey,
  type OtlpEntry,
  otlpHeartbeatTtlSeconds,
  type PulseHeartbeat,
  slowEntryWrite,
  validateErrorEntry,
  validateHeartbeat,
  validateSlowEntry,
  type WriteCommand,
} from '@gravito/pulse-protocol';

export interface WriteCommands {
  commands: WriteCommand[];
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
): WriteCommands {
  const commands: WriteCommand[] = [];
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
  const errorApps = new Set<string>();
  for (const item of entries) {
    if (item.type === 'slow') {
      if (!validateSlowEntry(item.entry).ok) {
        invalid++;
        continue;
      }
      commands.push(slowEntryWrite(item.app, item.entry));
    } else {
      if (!validateErrorEntry(item.entry).ok) {
        invalid++;
        continue;
      }
      commands.push(errorEntryWrite(item.app, item.entry));
      errorApps.add(item.app);
    }
    entryCount++;
  }
  for (const app of errorApps) commands.push(...errorSetTrims(app, now));
  return { commands, heartbeats: heartbeatCount, entries: entryCount, invalid };
}
