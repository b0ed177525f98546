import { freemem, totalmem } from 'node:os';

/** Total memory barely ever changes, and reading it costs a /proc read: refresh it once a minute. */
const TOTAL_REFRESH_MS = 60_000;
let total = 0;
let totalReadAt = 0;

/** Host memory. `os.freemem()` is what the kernel calls available (MemAvailable on Linux), not just unused pages. */
export function sampleMemory(): { total: number; free: number } {
  const now = Date.now();
  if (now - totalReadAt > TOTAL_REFRESH_MS || total === 0) {
    total = totalmem();
    totalReadAt = now;
  }
  return { total, free: Math.min(total, freemem()) };
}
