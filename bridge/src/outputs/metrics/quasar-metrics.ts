import { Gauge, type Registry } from 'prom-client';
import type { AgentCounts } from '../../monitor/agent-records.js';
import type { QuasarReader } from '../../sources/quasar/reader.js';
import type { ZenithMirror } from '../zenith/mirror.js';
import type { ZenithStream } from '../zenith/zenith-stream.js';
import { byLabel, countFrom } from './count-from.js';
import type { MetricsExtension } from './extension.js';
import { PULSE_METRICS as M } from './names.js';
import { QueueFamilies } from './queue-families.js';

/**
 * The /metrics side of Zenith compatibility: the reader's and the mirror's own health, the agents in the snapshot
 * (`agents`), and agents' queues. Every family is there whether the reader and the mirror run or not (at 0 when
 * off), as the contract lists them.
 */
export function quasarMetrics(
  reader: QuasarReader | undefined,
  agents: AgentCounts,
  mirror: ZenithMirror | undefined,
  stream: ZenithStream,
): MetricsExtension {
  const queues = new QueueFamilies(reader);
  return {
    register(registry: Registry) {
      new Gauge({
        name: M.quasarNodes.name,
        help: M.quasarNodes.help,
        labelNames: M.quasarNodes.labelNames,
        registers: [registry],
        collect() {
          this.set({ writer: 'agent' }, agents.nodes);
          this.set({ writer: 'mirror' }, reader?.counts.ownMirrors ?? 0);
          this.set({ writer: 'duplicate' }, agents.duplicates);
        },
      });
      countFrom(
        M.quasarDropped,
        () =>
          byLabel('kind', {
            node: reader?.counts.leftOut ?? 0,
            scan: reader?.counts.truncatedScans ?? 0,
            read: reader?.counts.failedReads ?? 0,
            queue: queues.overflow,
          }),
        registry,
      );
      new Gauge({
        name: M.zenithStreamClients.name,
        help: M.zenithStreamClients.help,
        registers: [registry],
        collect() {
          this.set(stream.size);
        },
      });
      countFrom(
        M.zenithStreamDropped,
        () => byLabel('reason', { rejected: stream.counts.rejected, slow: stream.counts.slowClientsDropped }),
        registry,
      );
      countFrom(
        M.zenithMirrorWrites,
        () =>
          byLabel('result', {
            written: mirror?.counts.written ?? 0,
            agent_owned: mirror?.counts.agentOwned ?? 0,
            failed: mirror?.counts.failed ?? 0,
            over_cap: mirror?.counts.overCap ?? 0,
            busy: mirror?.counts.busy ?? 0,
          }),
        registry,
      );
    },
    renderers: [queues],
  };
}
