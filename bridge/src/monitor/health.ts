import type { AppHealth, PulseHeartbeat } from '@gravito/pulse-protocol';

/**
 * The app health score, 0 to 100. It starts at 100 and loses points, each share capped:
 *
 * | share | what | full penalty when |
 * |---|---|---|
 * | 30 | lost servers | `lost / (online + lost)` = 1 (scaled linearly); a server whose agent reports `error` counts as lost, `degraded` as half |
 * | 15 | CPU pressure | mean over online servers of `clamp((cpu% − 80) / 20)` = 1, i.e. every server at 100 % |
 * | 15 | memory pressure | mean of `clamp((used − 0.85) / 0.15)`, used = 1 − free/total |
 * | 10 | disk pressure | mean of `clamp((used − 0.90) / 0.10)` over each server's fullest disk |
 * | 10 | slow entries | `clamp(slow_per_minute / (10 × online))` = 1: ten slow entries per server per minute |
 * | 20 | exceptions | `clamp(errors_per_minute / (5 × online))` = 1: five exceptions per server per minute |
 *
 * The result is rounded to an integer. With no server online the score is 0, whatever else, unless every
 * server stopped gracefully (a deploy between two instances, or an app shut down on purpose): then it is 100.
 * Stopped servers never take points off: they are neither online nor lost.
 */

export const HEALTH_WEIGHTS = { lost: 30, cpu: 15, memory: 15, disk: 10, slow: 10, errors: 20 } as const;

export interface HealthInput {
  online: readonly PulseHeartbeat[];
  lost: number;
  /** Servers whose last heartbeat said `state: stopped`. */
  stopped?: number;
  slowPerMinute: number;
  errorsPerMinute: number;
}

/** One online server's share of its app's health: each pressure, and what its own agent reports (0 to 1 each). */
export interface ServerPressure {
  readonly cpu: number;
  readonly memory: number;
  readonly disk: number;
  readonly trouble: number;
}

/**
 * What the score is computed from: the online servers' pressures summed in their order (so that the means are
 * the same to the last bit however they were summed), and the online heartbeats whose agent reports trouble.
 */
export interface HealthTotals {
  online: number;
  lost: number;
  stopped: number;
  pressure: ServerPressure;
  troubled: readonly PulseHeartbeat[];
  slowPerMinute: number;
  errorsPerMinute: number;
}

const clamp01 = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);

export function cpuPressure(hb: PulseHeartbeat): number {
  return clamp01((hb.system.cpu_usage - 80) / 20);
}

export function memoryPressure(hb: PulseHeartbeat): number {
  const total = hb.system.memory_total;
  if (total <= 0) return 0;
  return clamp01((1 - hb.system.memory_free / total - 0.85) / 0.15);
}

export function diskPressure(hb: PulseHeartbeat): number {
  let worst = 0;
  for (const disk of hb.system.disks ?? []) {
    if (disk.total > 0) worst = Math.max(worst, 1 - disk.free / disk.total);
  }
  return clamp01((worst - 0.9) / 0.1);
}

/** What a server's own agent says (`reported_status`): `error` weighs as a lost server, `degraded` as half of one. */
export function reportedTrouble(hb: PulseHeartbeat): number {
  const status = hb.reported_status?.status;
  return status === 'error' ? 1 : status === 'degraded' ? 0.5 : 0;
}

/** A heartbeat's share of its app's health while its server is online. */
export function pressureOf(hb: PulseHeartbeat): ServerPressure {
  return { cpu: cpuPressure(hb), memory: memoryPressure(hb), disk: diskPressure(hb), trouble: reportedTrouble(hb) };
}

/** A sum of pressures with none added yet. */
export function noPressure(): { -readonly [K in keyof ServerPressure]: number } {
  return { cpu: 0, memory: 0, disk: 0, trouble: 0 };
}

/** Adds one online server's pressure to `sum`, and its heartbeat to `troubled` when its agent reports trouble. */
export function addPressure(
  sum: ReturnType<typeof noPressure>,
  server: ServerPressure,
  hb: PulseHeartbeat,
  troubled: PulseHeartbeat[],
): void {
  sum.cpu += server.cpu;
  sum.memory += server.memory;
  sum.disk += server.disk;
  sum.trouble += server.trouble;
  if (server.trouble > 0) troubled.push(hb);
}

/** "agents report trouble on 2 of 4 servers: 1 degraded, 1 error (monitor_redis_offline)": the first 3 faults named. */
function troubleReason(troubled: readonly PulseHeartbeat[], total: number): string {
  let degraded = 0;
  let error = 0;
  const faults = new Set<string>();
  for (const hb of troubled) {
    const report = hb.reported_status;
    if (report?.status === 'degraded') degraded++;
    else if (report?.status === 'error') error++;
    else continue;
    for (const fault of report.errors ?? []) if (faults.size < 3) faults.add(fault.slice(0, 40));
  }
  const counts = [degraded > 0 ? `${degraded} degraded` : '', error > 0 ? `${error} error` : ''].filter(Boolean).join(', ');
  const named = faults.size > 0 ? ` (${[...faults].join(', ')})` : '';
  return `agents report trouble on ${degraded + error} of ${total} servers: ${counts}${named}`;
}

export function healthScore(input: HealthInput): AppHealth {
  const pressure = noPressure();
  const troubled: PulseHeartbeat[] = [];
  for (const hb of input.online) addPressure(pressure, pressureOf(hb), hb, troubled);
  const { lost, stopped = 0, slowPerMinute, errorsPerMinute } = input;
  return healthOfTotals({ online: input.online.length, lost, stopped, pressure, troubled, slowPerMinute, errorsPerMinute });
}

/** The score from an app's totals (the monitor keeps each server's pressure, computed once per heartbeat). */
export function healthOfTotals(input: HealthTotals): AppHealth {
  const { online, lost, stopped, pressure } = input;
  const total = online + lost;
  if (online === 0 && lost === 0 && stopped > 0) {
    return { score: 100, reasons: [`${stopped === 1 ? 'the only server' : `all ${stopped} servers`} stopped (graceful shutdown)`] };
  }
  if (online === 0) {
    return { score: 0, reasons: [total === 0 ? 'no servers' : `no server online (${lost} lost)`] };
  }
  // Each mean as sum / count, the one way it is computed.
  const mean = (sum: number) => sum / online;
  const penalties: [number, () => string][] = [
    [HEALTH_WEIGHTS.lost * clamp01(lost / total), () => `${lost} of ${total} servers lost`],
    // The lost share's other part: with every online agent in error it is all of it, as if every server were lost.
    [HEALTH_WEIGHTS.lost * clamp01((mean(pressure.trouble) * online) / total), () => troubleReason(input.troubled, total)],
    [HEALTH_WEIGHTS.cpu * mean(pressure.cpu), () => 'CPU pressure (over 80 %)'],
    [HEALTH_WEIGHTS.memory * mean(pressure.memory), () => 'memory pressure (over 85 % used)'],
    [HEALTH_WEIGHTS.disk * mean(pressure.disk), () => 'disk pressure (over 90 % used)'],
    [HEALTH_WEIGHTS.slow * clamp01(input.slowPerMinute / (10 * online)), () => `slow entries at ${round1(input.slowPerMinute)} per minute`],
    [
      HEALTH_WEIGHTS.errors * clamp01(input.errorsPerMinute / (5 * online)),
      () => `exceptions at ${round1(input.errorsPerMinute)} per minute`,
    ],
  ];
  let score = 100;
  const reasons: string[] = [];
  for (const [points, reason] of penalties) {
    score -= points;
    if (points >= 0.5) reasons.push(`-${Math.round(points)}: ${reason()}`);
  }
  return { score: Math.max(0, Math.min(100, Math.round(score))), reasons };
}

const round1 = (x: number) => Math.round(x * 10) / 10;
