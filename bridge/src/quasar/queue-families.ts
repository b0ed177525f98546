import type { QueueSnapshot } from '@gravito/pulse-protocol';
import { escapeLabelValue, renderFamily } from '../metrics/exposition.js';
import { PULSE_METRICS as M } from '../metrics/names.js';
import type { Snapshot } from '../monitor/monitor-service.js';
import type { QuasarReader } from './reader.js';

/** Most queues exported per app; the rest are counted in `overflow`. */
export const MAX_QUEUES_PER_APP = 100;

const STATES = ['waiting', 'active', 'failed', 'delayed'] as const;

/**
 * The queues agents report, as Prometheus series: `pulse_queue_jobs{app,queue,driver,state}` and
 * `pulse_queue_throughput_jobs_per_second{app,queue,driver,direction}` (agents send jobs per minute).
 * Several processes of an app usually watch the same queue (each agent reads the same Redis list): the
 * newest report of each (app, queue, driver) is the one exported, so a queue is one series, not one per process.
 * Only online processes count: a lost one's queue figures are stale.
 */
export class QueueFamilies {
  overflow = 0;

  /** Without a reader (turned off) the families are rendered empty. */
  constructor(private readonly reader: QuasarReader | undefined) {}

  render(snapshot: Snapshot): string {
    const newest = new Map<string, { app: string; queue: QueueSnapshot; at: number }>();
    const perApp = new Map<string, number>();
    for (const app of snapshot.event.apps) {
      for (const server of app.servers) {
        if (server.status !== 'online') continue;
        const node = this.reader?.nodeOf(server.heartbeat);
        if (!node?.queues) continue;
        for (const queue of node.queues) {
          const id = `${app.app}\n${queue.name}\n${queue.driver}`;
          const known = newest.get(id);
          if (known) {
            if (node.timestamp > known.at) newest.set(id, { app: app.app, queue, at: node.timestamp });
            continue;
          }
          const count = perApp.get(app.app) ?? 0;
          if (count >= MAX_QUEUES_PER_APP) {
            this.overflow++;
            continue;
          }
          perApp.set(app.app, count + 1);
          newest.set(id, { app: app.app, queue, at: node.timestamp });
        }
      }
    }
    const jobs: string[] = [];
    const throughput: string[] = [];
    for (const { app, queue } of newest.values()) {
      const labels = `app="${app}",queue="${escapeLabelValue(queue.name)}",driver="${queue.driver}"`;
      for (const state of STATES) jobs.push(`{${labels},state="${state}"} ${queue.size[state]}`);
      if (queue.throughput) {
        throughput.push(
          `{${labels},direction="in"} ${queue.throughput.in / 60}`,
          `{${labels},direction="out"} ${queue.throughput.out / 60}`,
        );
      }
    }
    return renderFamily(M.queueJobs, jobs) + renderFamily(M.queueThroughput, throughput);
  }
}
