import {
  type OtlpMetricsRequest,
  type OtlpTracesRequest,
  otlpMetricsToHeartbeats,
  otlpTracesToEntries,
  type PulseHeartbeat,
  type SpanRules,
  spanRules,
} from '@gravito/pulse-protocol';
import { otlpCommands } from './commands.js';
import { OtlpCounts } from './counts.js';
import { decodeRequest, type OtlpEncoding, type OtlpSignal } from './decode.js';
import { OtlpRefusal } from './limits.js';
import type { OtlpSchema } from './proto-schema.js';
import type { OtlpRedisWriter } from './redis-writer.js';
import { type EncodedResponse, successResponse } from './response.js';
import { ServerMemory } from './server-memory.js';

const MAX_ERROR_MESSAGE = 512;

/**
 * One decoded request through the protocol's mapping to GPP's writes, and the answer: 200 (with `partial_success`
 * for what was rejected) once Redis took every write, else an `OtlpRefusal` (503: the client keeps the data and
 * retries). A server's memory (interval, cumulative counters) moves on only when its heartbeat was written, so a
 * retried export maps as the first try did.
 */
export class OtlpReceiver {
  readonly counts = new OtlpCounts();
  readonly memory = new ServerMemory();

  constructor(
    private readonly schema: OtlpSchema,
    private readonly writer: OtlpRedisWriter,
    /** The Node exporter's rules; by default its defaults (1 s for every kind, nothing ignored). */
    private readonly rules: SpanRules = spanRules(),
  ) {}

  /** Refuses before reading a byte while Redis cannot take writes. */
  checkWritable(): void {
    if (!this.writer.ready()) throw new OtlpRefusal(503, 'refused_redis', 'Redis is not reachable: retry later');
  }

  async receive(signal: OtlpSignal, encoding: OtlpEncoding, body: Uint8Array, now = Date.now()): Promise<EncodedResponse> {
    const { request } = decodeRequest(this.schema, signal, encoding, body);
    return signal === 'metrics'
      ? this.metrics(request as OtlpMetricsRequest, encoding, now)
      : this.traces(request as OtlpTracesRequest, encoding, now);
  }

  private async metrics(request: OtlpMetricsRequest, encoding: OtlpEncoding, now: number): Promise<EncodedResponse> {
    const mapped = otlpMetricsToHeartbeats(request, { now, previous: (identity) => this.memory.get(identity) });
    const ready = mapped.servers.filter((s): s is typeof s & { heartbeat: PulseHeartbeat } => s.heartbeat !== undefined);
    const held = mapped.servers.filter((s) => s.heartbeat === undefined);
    const out = otlpCommands(ready, [], now);
    await this.write(out.commands, 'metrics');
    const forgottenBefore = this.memory.forgotten;
    for (const server of mapped.servers) if (server.memory) this.memory.set(server, server.memory);
    this.count('metrics', mapped.rejectedPoints, out.invalid);
    this.counts.add('metrics', 'heartbeats_written', out.heartbeats);
    this.counts.add('metrics', 'heartbeats_held', held.length);
    this.counts.add('metrics', 'servers_forgotten', this.memory.forgotten - forgottenBefore);
    // A held heartbeat is no rejection (the points were read), but the client's log says why the server is not shown.
    const warnings = held.slice(0, 3).map((s) => `no heartbeat for ${s.app}/${s.id} yet: missing ${s.missing.join(', ')}`);
    return successResponse(this.schema, 'metrics', encoding, mapped.rejectedPoints, message([...mapped.errors, ...warnings]));
  }

  private async traces(request: OtlpTracesRequest, encoding: OtlpEncoding, now: number): Promise<EncodedResponse> {
    const mapped = otlpTracesToEntries(request, { rules: this.rules });
    const out = otlpCommands([], mapped.entries, now);
    await this.write(out.commands, 'traces');
    this.count('traces', mapped.rejectedSpans, out.invalid);
    this.counts.add('traces', 'entries_written', out.entries);
    return successResponse(this.schema, 'traces', encoding, mapped.rejectedSpans, message(mapped.errors));
  }

  private async write(commands: Parameters<OtlpRedisWriter['write']>[0], signal: OtlpSignal): Promise<void> {
    if (!(await this.writer.write(commands))) {
      throw new OtlpRefusal(503, 'refused_redis', `Redis did not take the writes: retry later (${signal})`);
    }
  }

  private count(signal: OtlpSignal, rejected: number, invalid: number): void {
    this.counts.add(signal, rejected > 0 ? 'partial' : 'accepted');
    this.counts.add(signal, 'rejected_items', rejected);
    this.counts.add(signal, 'invalid_payloads', invalid);
  }
}

function message(parts: readonly string[]): string {
  const text = parts.join('; ');
  return text.length > MAX_ERROR_MESSAGE ? `${text.slice(0, MAX_ERROR_MESSAGE - 1)}…` : text;
}
