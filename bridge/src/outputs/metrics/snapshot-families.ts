import { heartbeatSource, REPORTED_STATUSES } from '@gravito/pulse-protocol';
import { LeftOutTally } from '../../lib/left-out-tally.js';
import type { Caps } from '../../monitor/caps.js';
import type { Snapshot } from '../../monitor/monitor-service.js';
import { escapeLabelValue } from './exposition.js';
import type { SnapshotFamilyRenderer } from './extension.js';
import { PULSE_METRICS, type PulseMetricKey } from './names.js';
import { SlicedText } from './sliced-text.js';

/**
 * Worker processes exposed per server. The protocol allows 64; the series cost is per process, so /metrics keeps
 * fewer and counts the rest in pulse_bridge_processes_left_out.
 */
export const MAX_PROCESSES_PER_SERVER = 32;

/** How many servers /metrics exposes: past either bound the rest are left out (`cap="metrics_servers"`). */
export interface ServerLimits {
  servers: number;
  /** Bytes of the per-server and per-app sample lines, checked before each server. */
  bytes: number;
}

/**
 * Twice the fleet the bridge is measured at (10,000 servers: ~17 MB); a typical server's series take ~1.7 KB, a
 * server with 64 disks and 32 workers ~20 KB, so the byte bound is what stops a fleet of such servers.
 */
export const DEFAULT_SERVER_LIMITS: ServerLimits = { servers: 20_000, bytes: 64 * 1024 * 1024 };

/** The families rendered here, in this order; names and help come from the contract (names.ts). */
const FAMILIES = [
  'serverUp',
  'lastHeartbeat',
  'serverInfo',
  'cpu',
  'memTotal',
  'memFree',
  'load1',
  'load5',
  'load15',
  'diskTotal',
  'diskFree',
  'procCpu',
  'procRss',
  'procHeap',
  'procUptime',
  'procPid',
  'agentStatus',
  'agentErrors',
  'serverProcessCpu',
  'serverProcessRss',
  'processesLeftOut',
  'health',
  'appServers',
] as const satisfies readonly PulseMetricKey[];

/** Walking past an app or a server that writes nothing, in characters' worth of slice work. */
const SKIP_CHARS = 64;

/**
 * Renders the per-server and per-app gauges of one snapshot. At 10,000 servers that is ~200,000 samples:
 * prom-client's labelled gauges take ~350 ms to set and render that many, so these families are written
 * straight from the snapshot, in slices (`SlicedText`), once per snapshot (every scrape of the same snapshot
 * reuses the text). Lost servers keep their last values with `pulse_server_up 0` until the bridge forgets them;
 * stopped servers (a graceful shutdown) have no per-server series, only their count in
 * `pulse_app_servers{status="stopped"}`.
 *
 * Bounded: past `limits` (servers, or bytes of samples, up to one server over) the remaining apps and servers
 * have no series; each server left out is counted once in `pulse_bridge_cap_reached_total{cap="metrics_servers"}`.
 */
export class SnapshotFamilies implements SnapshotFamilyRenderer {
  readonly families = FAMILIES.map((key) => PULSE_METRICS[key]);
  private readonly leftOut = new LeftOutTally();

  constructor(private readonly limits: ServerLimits = DEFAULT_SERVER_LIMITS) {}

  async render(snapshot: Snapshot, caps: Caps): Promise<Buffer[]> {
    const out = new SlicedText(FAMILIES);
    let exported = 0;
    const full = () => exported >= this.limits.servers || out.written >= this.limits.bytes;
    let processesPastCap = 0;
    for (const app of snapshot.event.apps) {
      if (out.sliceFull) await out.nextSlice();
      if (full()) {
        this.leftOut.add(app.app, app.servers_online + app.servers_lost);
        out.walked(SKIP_CHARS);
        continue;
      }
      const appLabel = `app="${escapeLabelValue(app.app)}"`;
      out.put('health', `{${appLabel}} ${app.health.score}`);
      out.put('appServers', `{${appLabel},status="online"} ${app.servers_online}`);
      out.put('appServers', `{${appLabel},status="lost"} ${app.servers_lost}`);
      out.put('appServers', `{${appLabel},status="stopped"} ${app.servers_stopped ?? 0}`);
      for (const server of app.servers) {
        if (out.sliceFull) await out.nextSlice();
        // A stopped server leaves the per-server families at once, as a target removed from discovery leaves `up`:
        // no pulse_server_up 0 for it, so PulseServerLost cannot fire. It is counted in pulse_app_servers.
        if (server.status === 'stopped') continue;
        if (full()) {
          this.leftOut.add(app.app);
          out.walked(SKIP_CHARS);
          continue;
        }
        exported++;
        const hb = server.heartbeat;
        const sys = hb.system;
        const proc = hb.process;
        // app and server are key-safe ([A-Za-z0-9._-]): no escaping needed. Values are validated finite numbers.
        const labels = `${appLabel},server="${server.id}"`;
        const block = `{${labels}} `;
        out.put('serverUp', block + (server.status === 'online' ? '1' : '0'));
        out.put('lastHeartbeat', block + server.last_seen / 1000);
        out.put(
          'serverInfo',
          `{${labels},hostname="${escapeLabelValue(sys.hostname)}",platform="${escapeLabelValue(sys.platform)}",runtime="${hb.meta.runtime}",environment="${escapeLabelValue(hb.meta.environment)}",version="${escapeLabelValue(hb.meta.version)}",source="${heartbeatSource(hb)}"} 1`,
        );
        out.put('cpu', block + sys.cpu_usage / 100);
        out.put('memTotal', block + sys.memory_total);
        out.put('memFree', block + sys.memory_free);
        // A writer that cannot read the load average (a Zenith agent) sends none: no sample rather than a 0.
        if (sys.load_avg) {
          out.put('load1', block + sys.load_avg[0]);
          out.put('load5', block + sys.load_avg[1]);
          out.put('load15', block + sys.load_avg[2]);
        }
        if (sys.disks) {
          const mounts = new Set<string>();
          for (const disk of sys.disks) {
            // A mount listed twice would make a duplicate series, which Prometheus rejects.
            if (mounts.has(disk.mount)) continue;
            mounts.add(disk.mount);
            const diskBlock = `{${labels},mount="${escapeLabelValue(disk.mount)}"} `;
            out.put('diskTotal', diskBlock + disk.total);
            out.put('diskFree', diskBlock + disk.free);
          }
        }
        out.put('procCpu', block + proc.cpu_usage / 100);
        out.put('procRss', block + proc.memory_rss);
        // A runtime without such a heap (Go) sends none: no sample rather than a 0.
        if (proc.memory_heap !== undefined) out.put('procHeap', block + proc.memory_heap);
        out.put('procUptime', block + proc.uptime);
        out.put('procPid', block + proc.pid);
        const reported = hb.reported_status;
        if (reported) {
          // A state set: one series per status the protocol names, 1 for the one reported.
          for (const status of REPORTED_STATUSES)
            out.put('agentStatus', `{${labels},status="${status}"} ${reported.status === status ? 1 : 0}`);
          out.put('agentErrors', block + (reported.errors?.length ?? 0));
        }
        // The ProcessList card: the reporting process, then its workers (pid is an integer, kind a protocol literal).
        const host = `hostname="${escapeLabelValue(sys.hostname)}"`;
        const main = `{${labels},${host},pid="${proc.pid}",name="${hb.meta.runtime}",kind="main"} `;
        out.put('serverProcessCpu', main + proc.cpu_usage / 100);
        out.put('serverProcessRss', main + proc.memory_rss);
        const workers = hb.processes ?? [];
        const pids = new Set<number>([proc.pid]);
        for (const worker of workers.slice(0, MAX_PROCESSES_PER_SERVER)) {
          if (pids.has(worker.pid)) continue; // a pid listed twice would make a duplicate series
          pids.add(worker.pid);
          const one = `{${labels},${host},pid="${worker.pid}",name="${escapeLabelValue(worker.name)}",kind="${worker.kind}"} `;
          out.put('serverProcessCpu', one + worker.cpu_usage / 100);
          out.put('serverProcessRss', one + worker.memory_rss);
        }
        processesPastCap += Math.max(0, workers.length - MAX_PROCESSES_PER_SERVER);
      }
    }
    out.put('processesLeftOut', ` ${processesPastCap}`);
    caps.reached('metrics_servers', this.leftOut.settle(), { maxServers: this.limits.servers, maxBytes: this.limits.bytes });
    return out.finish();
  }
}
