import { heartbeatSource } from '@gravito/pulse-protocol';
import type { Snapshot } from '../monitor/monitor-service.js';
import { yieldToLoop } from '../redis/read.js';
import { escapeLabelValue, familyHead, sampleLines } from './exposition.js';
import { PULSE_METRICS, type PulseMetricKey } from './names.js';

/**
 * Servers rendered, and their samples encoded, between two yields to the event loop. At 10,000 servers the
 * longest block of a render was ~9 ms with 500 and ~24 ms with 1,000 (bench/bridge-scrape.ts).
 */
const SLICE = 500;
/**
 * Worker processes exposed per server. The protocol allows 64; the series cost is per process, so /metrics keeps
 * fewer and counts the rest in pulse_bridge_processes_left_out.
 */
export const MAX_PROCESSES_PER_SERVER = 32;

/**
 * Renders the per-server and per-app gauges of one snapshot. At 10,000 servers that is ~200,000 samples:
 * prom-client's labelled gauges take ~350 ms to set and render that many, so these families are written
 * straight from the snapshot, in slices, once per snapshot (every scrape of the same snapshot reuses the text).
 * Lost servers keep their last values with `pulse_server_up 0` until the bridge forgets them; stopped servers
 * (a graceful shutdown) have no per-server series, only their count in `pulse_app_servers{status="stopped"}`.
 */
export async function renderSnapshotFamilies(snapshot: Snapshot, extra = ''): Promise<Buffer[]> {
  const families = Object.fromEntries(FAMILIES.map((key) => [key, [] as string[]])) as Record<FamilyKey, string[]>;
  const { serverUp: up, lastHeartbeat, serverInfo: info, cpu, memTotal, memFree, load1, load5, load15, diskTotal, diskFree } = families;
  const { procCpu, procRss, procHeap, procUptime, procPid, health, appServers: servers } = families;
  const { serverProcessCpu, serverProcessRss, processesLeftOut } = families;
  // Each slice's samples are joined and encoded before the next slice: 200,000 sample strings held to the end
  // outlived the young generation, and copying them out of it made the render's longest pauses (~30 ms).
  const pieces = Object.fromEntries(FAMILIES.map((key) => [key, [Buffer.from(familyHead(PULSE_METRICS[key]))]])) as Record<
    FamilyKey,
    Buffer[]
  >;
  const encodeSlice = () => {
    for (const key of FAMILIES) {
      const samples = families[key];
      if (samples.length === 0) continue;
      pieces[key].push(Buffer.from(sampleLines(PULSE_METRICS[key].name, samples)));
      samples.length = 0;
    }
  };
  let leftOut = 0;
  let done = 0;
  for (const app of snapshot.event.apps) {
    const appLabel = `app="${escapeLabelValue(app.app)}"`;
    health.push(`{${appLabel}} ${app.health.score}`);
    servers.push(
      `{${appLabel},status="online"} ${app.servers_online}`,
      `{${appLabel},status="lost"} ${app.servers_lost}`,
      `{${appLabel},status="stopped"} ${app.servers_stopped ?? 0}`,
    );
    for (const server of app.servers) {
      if (++done % SLICE === 0) {
        encodeSlice();
        await yieldToLoop();
      }
      // A stopped server leaves the per-server families at once, as a target removed from discovery leaves `up`:
      // no pulse_server_up 0 for it, so PulseServerLost cannot fire. It is counted in pulse_app_servers.
      if (server.status === 'stopped') continue;
      const hb = server.heartbeat;
      const sys = hb.system;
      const proc = hb.process;
      // app and server are key-safe ([A-Za-z0-9._-]): no escaping needed. Values are validated finite numbers.
      const labels = `${appLabel},server="${server.id}"`;
      const block = `{${labels}} `;
      up.push(block + (server.status === 'online' ? '1' : '0'));
      lastHeartbeat.push(block + server.last_seen / 1000);
      info.push(
        `{${labels},hostname="${escapeLabelValue(sys.hostname)}",platform="${escapeLabelValue(sys.platform)}",runtime="${hb.meta.runtime}",environment="${escapeLabelValue(hb.meta.environment)}",version="${escapeLabelValue(hb.meta.version)}",source="${heartbeatSource(hb)}"} 1`,
      );
      cpu.push(block + sys.cpu_usage / 100);
      memTotal.push(block + sys.memory_total);
      memFree.push(block + sys.memory_free);
      load1.push(block + sys.load_avg[0]);
      load5.push(block + sys.load_avg[1]);
      load15.push(block + sys.load_avg[2]);
      if (sys.disks) {
        const mounts = new Set<string>();
        for (const disk of sys.disks) {
          // A mount listed twice would make a duplicate series, which Prometheus rejects.
          if (mounts.has(disk.mount)) continue;
          mounts.add(disk.mount);
          const diskBlock = `{${labels},mount="${escapeLabelValue(disk.mount)}"} `;
          diskTotal.push(diskBlock + disk.total);
          diskFree.push(diskBlock + disk.free);
        }
      }
      procCpu.push(block + proc.cpu_usage / 100);
      procRss.push(block + proc.memory_rss);
      procHeap.push(block + proc.memory_heap);
      procUptime.push(block + proc.uptime);
      procPid.push(block + proc.pid);
      // The ProcessList card: the reporting process, then its workers (pid is an integer, kind a protocol literal).
      const host = `hostname="${escapeLabelValue(sys.hostname)}"`;
      const main = `{${labels},${host},pid="${proc.pid}",name="${hb.meta.runtime}",kind="main"} `;
      serverProcessCpu.push(main + proc.cpu_usage / 100);
      serverProcessRss.push(main + proc.memory_rss);
      const workers = hb.processes ?? [];
      const pids = new Set<number>([proc.pid]);
      for (const worker of workers.slice(0, MAX_PROCESSES_PER_SERVER)) {
        if (pids.has(worker.pid)) continue; // a pid listed twice would make a duplicate series
        pids.add(worker.pid);
        const one = `{${labels},${host},pid="${worker.pid}",name="${escapeLabelValue(worker.name)}",kind="${worker.kind}"} `;
        serverProcessCpu.push(one + worker.cpu_usage / 100);
        serverProcessRss.push(one + worker.memory_rss);
      }
      leftOut += Math.max(0, workers.length - MAX_PROCESSES_PER_SERVER);
    }
  }
  processesLeftOut.push(` ${leftOut}`);
  encodeSlice();
  return [...FAMILIES.flatMap((key) => pieces[key]), Buffer.from(extra)];
}

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
  'serverProcessCpu',
  'serverProcessRss',
  'processesLeftOut',
  'health',
  'appServers',
] as const satisfies readonly PulseMetricKey[];

type FamilyKey = (typeof FAMILIES)[number];
