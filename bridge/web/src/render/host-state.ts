import { bytes, millis, NBSP, percent } from '../format.js';
import type { SlowEntry } from '../protocol.js';

/**
 * The host around a slow entry, in words: "CPU 93 %, loop p99 180 ms, heap 120 MiB, 4 in flight at that moment".
 * A figure the SDK left out is not shown (it could not measure it: unknown, never 0); no snapshot, no text.
 */
export function hostStateText(host: SlowEntry['host']): string | undefined {
  if (!host) return undefined;
  const parts: string[] = [];
  if (host.cpu_usage !== undefined) parts.push(`CPU${NBSP}${percent(host.cpu_usage)}`);
  if (host.event_loop_delay_p99_ms !== undefined) parts.push(`loop${NBSP}p99${NBSP}${millis(host.event_loop_delay_p99_ms)}`);
  if (host.memory_heap !== undefined) parts.push(`heap${NBSP}${bytes(host.memory_heap)}`);
  else if (host.memory_rss !== undefined) parts.push(`RSS${NBSP}${bytes(host.memory_rss)}`);
  if (host.requests_in_flight !== undefined) parts.push(`${host.requests_in_flight}${NBSP}in flight`);
  return parts.length === 0 ? undefined : `${parts.join(', ')} at that moment`;
}
