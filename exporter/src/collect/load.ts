import { loadavg } from 'node:os';

/** Load average over 1, 5 and 15 minutes; zeros where the OS has none (Windows). */
export function sampleLoad(): [number, number, number] {
  const [one = 0, five = 0, fifteen = 0] = loadavg();
  return [Math.max(0, one), Math.max(0, five), Math.max(0, fifteen)];
}
