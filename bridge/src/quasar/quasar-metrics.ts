import { Counter, Gauge, type Registry } from 'prom-client';
import type { MetricsExtension } from '../metrics/bridge-metrics.js';
import type { Snapshot } from '../monitor/monitor-service.js';
import type { ZenithMirror } from './mirror.js';
import { QueueFamilies } from './queue-families.js';
import type { QuasarReader } from './reader.js';

/** A counter fed from a plain number that only grows: each collect adds the difference. */
function countFrom(name: string, help: string, read: () => Record<string, number>, label: string, registry: Registry): void {
  const last = new Map<string, number>();
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      for (const [value, now] of Object.entries(read())) {
        const before = last.get(value) ?? 0;
        // Every label value is present from the first scrape, at 0 until it happens.
        this.inc({ [label]: value }, Math.max(0, now - before));
        last.set(value, now);
      }
    },
  });
}

/** The /metrics side of Zenith compatibility: the reader's and the mirror's own health, and agents' queues. */
export function quasarMetrics(reader: QuasarReader | undefined, mirror: ZenithMirror | undefined): MetricsExtension {
  const queues = reader && new QueueFamilies(reader);
  return {
    register(registry: Registry) {
      if (reader) {
        new Gauge({
          name: 'pulse_bridge_quasar_nodes',
          help: 'Nodes found in gravito:quasar:node:* by the last poll: written by agents, mirrored by a Pulse bridge (skipped), or duplicates of a server already read (skipped)',
          labelNames: ['writer'],
          registers: [registry],
          collect() {
            this.set({ writer: 'agent' }, reader.counts.nodes);
            this.set({ writer: 'mirror' }, reader.counts.ownMirrors);
            this.set({ writer: 'duplicate' }, reader.counts.duplicates);
          },
        });
        countFrom(
          'pulse_bridge_quasar_dropped_total',
          'Agent nodes or queues not read or not exported because a cap was reached',
          () => ({ node: reader.counts.truncatedScans, queue: queues?.overflow ?? 0 }),
          'kind',
          registry,
        );
      }
      if (mirror) {
        countFrom(
          'pulse_bridge_zenith_mirror_writes_total',
          'Zenith mirror writes by result: written, agent_owned (left alone), failed, over_cap, busy (poll skipped)',
          () => ({
            written: mirror.counts.written,
            agent_owned: mirror.counts.agentOwned,
            failed: mirror.counts.failed,
            over_cap: mirror.counts.overCap,
            busy: mirror.counts.busy,
          }),
          'result',
          registry,
        );
      }
    },
    families: (snapshot: Snapshot) => queues?.render(snapshot) ?? '',
  };
}
