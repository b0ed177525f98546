// Loaded into the server under test (`node --import bench/fanout/loop-probe.mjs cli.js`) when the fan-out bench
// sets BENCH_LOOP_GAPS_FILE: appends each event-loop block over 20 ms, split into time on a CPU and time waiting
// for one, and once a second the main thread's running totals, as JSON lines; the bench reads back its window.
import { appendFileSync, writeFileSync } from 'node:fs';
import { schedMs, startLoopGaps } from '../lib/loop-gaps.mjs';

const file = process.env.BENCH_LOOP_GAPS_FILE;
if (file) {
  writeFileSync(file, '');
  startLoopGaps({ resolutionMs: 2, minBlockMs: 20, onBlock: (block) => appendFileSync(file, `${JSON.stringify(block)}\n`) });
  setInterval(() => appendFileSync(file, `${JSON.stringify({ at: Date.now(), ...schedMs() })}\n`), 1_000).unref();
}
