import type { GaugeStat, PulseHeartbeat } from '@gravito/pulse-protocol';

/** One server's figures over a bucket; a figure never measured stays absent. */
export interface ServerStats {
  cpu?: GaugeStat;
  mem?: GaugeStat;
  loop?: GaugeStat;
}

/** One app's figures over a bucket, from the polls that fell in it. */
export interface AppFigures {
  healthSum: number;
  healthN: number;
  /** Most servers online, and lost, at once. */
  online: number;
  lost: number;
  servers: Map<string, ServerStats>;
  /** Queue depth (waiting jobs) by `driver:name`. */
  queues: Map<string, GaugeStat>;
}

export const emptyFigures = (): AppFigures => ({ healthSum: 0, healthN: 0, online: 0, lost: 0, servers: new Map(), queues: new Map() });

export function addSample(stat: GaugeStat | undefined, value: number): GaugeStat {
  if (!stat) return [value, 1, value];
  stat[0] += value;
  stat[1]++;
  if (value > stat[2]) stat[2] = value;
  return stat;
}

export function mergeStat(into: GaugeStat | undefined, from: GaugeStat | undefined): GaugeStat | undefined {
  if (!from) return into;
  if (!into) return [...from];
  into[0] += from[0];
  into[1] += from[1];
  if (from[2] > into[2]) into[2] = from[2];
  return into;
}

/** Samples one online server's heartbeat into its stats. */
export function sampleServer(stats: ServerStats, hb: PulseHeartbeat): void {
  stats.cpu = addSample(stats.cpu, hb.system.cpu_usage);
  stats.mem = addSample(stats.mem, Math.max(0, hb.system.memory_total - hb.system.memory_free));
  const loop = hb.process.event_loop?.delay_p99_ms;
  if (loop !== undefined) stats.loop = addSample(stats.loop, loop);
}

/** Adds `from` (a bucket's figures, or figures read back from Redis) into `into`. */
export function mergeFigures(into: AppFigures, from: AppFigures): void {
  into.healthSum += from.healthSum;
  into.healthN += from.healthN;
  into.online = Math.max(into.online, from.online);
  into.lost = Math.max(into.lost, from.lost);
  for (const [id, stats] of from.servers) {
    const known = into.servers.get(id) ?? {};
    known.cpu = mergeStat(known.cpu, stats.cpu);
    known.mem = mergeStat(known.mem, stats.mem);
    known.loop = mergeStat(known.loop, stats.loop);
    into.servers.set(id, known);
  }
  for (const [field, stat] of from.queues) into.queues.set(field, mergeStat(into.queues.get(field), stat) as GaugeStat);
}
