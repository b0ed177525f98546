import type { Snapshot } from '../monitor/monitor-service.js';
import { yieldToLoop } from '../redis/read.js';
import { escapeLabelValue } from './exposition.js';

/** Servers rendered between two yields to the event loop. */
const SLICE = 1_000;

/**
 * Renders the per-server and per-app gauges of one snapshot. At 10,000 servers that is ~170,000 samples:
 * prom-client's labelled gauges take ~350 ms to set and render that many, so these families are written
 * straight from the snapshot, in slices, once per snapshot (every scrape of the same snapshot reuses the text).
 * Lost servers keep their last values with `pulse_server_up 0` until the bridge forgets them.
 */
export async function renderSnapshotFamilies(snapshot: Snapshot): Promise<string> {
  const families = Object.fromEntries(Object.keys(FAMILIES).map((key) => [key, [] as string[]])) as Record<FamilyKey, string[]>;
  const { up, lastHeartbeat, info, cpu, memTotal, memFree, load1, load5, load15, diskTotal, diskFree } = families;
  const { procCpu, procRss, procHeap, procUptime, procPid, health, servers } = families;
  let done = 0;
  for (const app of snapshot.event.apps) {
    const appLabel = `app="${escapeLabelValue(app.app)}"`;
    health.push(`{${appLabel}} ${app.health.score}`);
    servers.push(`{${appLabel},status="online"} ${app.servers_online}`, `{${appLabel},status="lost"} ${app.servers_lost}`);
    for (const server of app.servers) {
      if (++done % SLICE === 0) await yieldToLoop();
      const hb = server.heartbeat;
      const sys = hb.system;
      const proc = hb.process;
      // app and server are key-safe ([A-Za-z0-9._-]): no escaping needed. Values are validated finite numbers.
      const labels = `${appLabel},server="${server.id}"`;
      const block = `{${labels}} `;
      up.push(block + (server.status === 'online' ? '1' : '0'));
      lastHeartbeat.push(block + hb.timestamp / 1000);
      info.push(
        `{${labels},hostname="${escapeLabelValue(sys.hostname)}",platform="${escapeLabelValue(sys.platform)}",runtime="${hb.meta.runtime}",environment="${escapeLabelValue(hb.meta.environment)}",version="${escapeLabelValue(hb.meta.version)}"} 1`,
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
    }
  }
  await yieldToLoop();
  let out = '';
  for (const [key, [name, help]] of Object.entries(FAMILIES)) {
    const samples = families[key as FamilyKey];
    out += `# HELP ${name} ${help}\n# TYPE ${name} gauge\n`;
    if (samples.length > 0) out += `${name}${samples.join(`\n${name}`)}\n`;
  }
  return out;
}

/** Family names and help, in the order they are rendered. */
const FAMILIES = {
  up: ['pulse_server_up', 'Whether the server is online (1) or lost (0); lost servers are kept until forgotten'],
  lastHeartbeat: ['pulse_server_last_heartbeat_timestamp_seconds', 'Time of the last heartbeat, Unix seconds'],
  info: ['pulse_server_info', 'Server identity, always 1'],
  cpu: ['pulse_server_cpu_ratio', 'Host CPU busy, 0 to 1'],
  memTotal: ['pulse_server_memory_total_bytes', 'Host memory, bytes'],
  memFree: ['pulse_server_memory_free_bytes', 'Host memory available, bytes'],
  load1: ['pulse_server_load1', 'Host load average over 1 minute'],
  load5: ['pulse_server_load5', 'Host load average over 5 minutes'],
  load15: ['pulse_server_load15', 'Host load average over 15 minutes'],
  diskTotal: ['pulse_server_disk_total_bytes', 'Filesystem size, bytes'],
  diskFree: ['pulse_server_disk_free_bytes', 'Filesystem space available, bytes'],
  procCpu: ['pulse_process_cpu_ratio', 'Reporting process CPU as a share of the whole machine, 0 to 1'],
  procRss: ['pulse_process_resident_memory_bytes', 'Reporting process resident memory, bytes'],
  procHeap: ['pulse_process_heap_used_bytes', 'Reporting process heap in use, bytes'],
  procUptime: ['pulse_process_uptime_seconds', 'Reporting process uptime, seconds'],
  procPid: ['pulse_process_pid', 'Reporting process id, for the Processes card (changes when the process restarts)'],
  health: ['pulse_app_health_score', 'App health score, 0 to 100 (formula in the bridge README)'],
  servers: ['pulse_app_servers', 'Servers of an app by status'],
} as const satisfies Record<string, readonly [name: string, help: string]>;

type FamilyKey = keyof typeof FAMILIES;
