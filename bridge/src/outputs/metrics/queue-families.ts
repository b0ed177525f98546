import type { QueueSnapshot } from '@gravito/pulse-protocol';
import { LeftOutTally } from '../../lib/left-out-tally.js';
import { type Caps, MAX_QUEUES_PER_APP } from '../../monitor/caps.js';
import type { Snapshot } from '../../monitor/monitor-service.js';
import type { QuasarReader } from '../../sources/quasar/reader.js';
import { escapeLabelValue } from './exposition.js';
import type { SnapshotFamilyRenderer } from './extension.js';
import { PULSE_METRICS as M } from './names.js';
import { SlicedText } from './sliced-text.js';

/**
 * Walking past one server or one queue report (to find each queue's newest, and to count what is left out), in
 * characters' worth of slice work.
 */
const WALK_CHARS = 16;

/** How many queues /metrics exposes in all: past a bound the rest are left out and counted (`pulse_bridge_cap_reached_total`). */
export interface QueueLimits {
  /** Apps whose queues are exported (`cap="queue_apps"`); app names are key-safe, at most 64 bytes, so this bounds their bytes. */
  apps: number;
  /** Queues exported (`cap="queues"`), each six series at most. */
  queues: number;
  /** Bytes of the label values that name the exported queues (app, queue, driver, as written; `cap="queues"`). */
  labelBytes: number;
}

/**
 * Apps usually watch a few queues each. At most 30,000 series and ~5 MB of text: a queue's six lines are ~410
 * bytes plus six times its label values, so 5,000 queues (~3 MB with short names), or 512 KiB of label values
 * (~2,500 queues of 200-character names, ~4.3 MB).
 */
export const DEFAULT_QUEUE_LIMITS: QueueLimits = { apps: 1_000, queues: 5_000, labelBytes: 512 * 1024 };

const STATES = ['waiting', 'active', 'failed', 'delayed'] as const;

/** The newest report of one queue of an app. */
interface Report {
  queue: QueueSnapshot;
  at: number;
}

/**
 * The queues agents report, as Prometheus series: `pulse_queue_jobs{app,queue,driver,state}` and
 * `pulse_queue_throughput_jobs_per_second{app,queue,driver,direction}` (agents send jobs per minute).
 * Several processes of an app usually watch the same queue (each agent reads the same Redis list): the
 * newest report of each (app, queue, driver) is the one exported, so a queue is one series, not one per process.
 * Only online processes count: a lost one's queue figures are stale.
 *
 * Bounded per app (`MAX_QUEUES_PER_APP`, the first seen) and in all (`limits`: apps in snapshot order, then
 * queues up to the count and byte bounds). Rendered in slices that give the event loop back, encoded as it goes.
 * Whatever a bound leaves out is counted once, not at every render (`LeftOutTally`).
 */
export class QueueFamilies implements SnapshotFamilyRenderer {
  readonly families = [M.queueJobs, M.queueThroughput];
  /** Queues left out by the per-app cap, each counted once (`pulse_bridge_quasar_dropped_total{kind="queue"}`). */
  overflow = 0;
  private readonly pastAppCap = new LeftOutTally();
  private readonly appsLeftOut = new LeftOutTally();
  private readonly queuesLeftOut = new LeftOutTally();

  /** Without a reader (turned off) the families are rendered empty. */
  constructor(
    private readonly reader: QuasarReader | undefined,
    private readonly limits: QueueLimits = DEFAULT_QUEUE_LIMITS,
  ) {}

  async render(snapshot: Snapshot, caps: Caps): Promise<Buffer[]> {
    const out = new SlicedText(['queueJobs', 'queueThroughput'] as const);
    let apps = 0;
    let queues = 0;
    let labelBytes = 0;
    let full = false;
    for (const app of this.reader ? snapshot.event.apps : []) {
      // The app's queues by driver, then name (the nodes' own strings: no key is built per queue), once the app
      // shows one and is admitted; and their newest reports in the order first seen.
      let seen: Map<string, Map<string, Report>> | undefined;
      const reports: Report[] = [];
      for (const server of app.servers) {
        out.walked(WALK_CHARS);
        if (out.sliceFull) await out.nextSlice();
        if (server.status !== 'online') continue;
        const node = this.reader?.nodeOf(server.heartbeat);
        if (!node?.queues?.length) continue;
        if (!seen) {
          if (apps >= this.limits.apps) {
            this.appsLeftOut.add(app.app);
            break;
          }
          apps++;
          seen = new Map();
        }
        out.walked(node.queues.length * WALK_CHARS);
        for (const queue of node.queues) {
          let byName = seen.get(queue.driver);
          if (!byName) {
            byName = new Map();
            seen.set(queue.driver, byName);
          }
          const known = byName.get(queue.name);
          if (!known) {
            const report = { queue, at: node.timestamp };
            byName.set(queue.name, report);
            reports.push(report);
          } else if (node.timestamp > known.at) {
            known.queue = queue;
            known.at = node.timestamp;
          }
        }
      }
      if (reports.length > MAX_QUEUES_PER_APP) this.pastAppCap.add(app.app, reports.length - MAX_QUEUES_PER_APP);
      const exportable = reports.slice(0, MAX_QUEUES_PER_APP);
      let written = 0;
      for (const { queue } of full ? [] : exportable) {
        const name = escapeLabelValue(queue.name);
        // The label values as written; the app (key-safe) and the driver (a protocol literal) are ASCII.
        const bytes = app.app.length + Buffer.byteLength(name) + queue.driver.length;
        if (queues >= this.limits.queues || labelBytes + bytes > this.limits.labelBytes) {
          full = true;
          break;
        }
        queues++;
        labelBytes += bytes;
        written++;
        const labels = `app="${app.app}",queue="${name}",driver="${queue.driver}"`;
        for (const state of STATES) out.put('queueJobs', `{${labels},state="${state}"} ${queue.size[state]}`);
        if (queue.throughput) {
          out.put('queueThroughput', `{${labels},direction="in"} ${queue.throughput.in / 60}`);
          out.put('queueThroughput', `{${labels},direction="out"} ${queue.throughput.out / 60}`);
        }
      }
      if (written < exportable.length) this.queuesLeftOut.add(app.app, exportable.length - written);
    }
    this.overflow += this.pastAppCap.settle();
    const detail = { maxApps: this.limits.apps, maxQueues: this.limits.queues, maxLabelBytes: this.limits.labelBytes };
    caps.reached('queue_apps', this.appsLeftOut.settle(), detail);
    caps.reached('queues', this.queuesLeftOut.settle(), detail);
    return out.finish();
  }
}
