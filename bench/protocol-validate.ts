// Cost of validating one heartbeat, next to the JSON.parse it always comes with, in one run.
//   node --import tsx bench/protocol-validate.ts
import { readFileSync } from 'node:fs';
import { parseHeartbeat, validateHeartbeat } from '@gravito/pulse-protocol';
import { median } from './lib/median.js';

const cases = JSON.parse(readFileSync(new URL('../protocol/vectors/heartbeat.json', import.meta.url), 'utf8')).cases;
const full = cases[1].value;
const raw = JSON.stringify(full);
const ROUNDS = 5;
const N = 200_000;

function nsPerOp(fn: () => unknown): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) fn();
  return Number(process.hrtime.bigint() - start) / N;
}

const results = { validate: [] as number[], jsonParse: [] as number[], parseAndValidate: [] as number[], rejectInvalid: [] as number[] };
const invalid = { ...full, system: { ...full.system, cpu_usage: 250 } };
for (let round = 0; round < ROUNDS; round++) {
  results.validate.push(nsPerOp(() => validateHeartbeat(full)));
  results.jsonParse.push(nsPerOp(() => JSON.parse(raw)));
  results.parseAndValidate.push(nsPerOp(() => parseHeartbeat(raw)));
  results.rejectInvalid.push(nsPerOp(() => validateHeartbeat(invalid)));
}
const v = median(results.validate);
const p = median(results.jsonParse);
console.log(`heartbeat of ${raw.length} B, ${N} ops × ${ROUNDS} rounds, medians:`);
console.log(`  validateHeartbeat (parsed object)   ${(v / 1000).toFixed(2)} µs`);
console.log(`  JSON.parse alone (baseline)         ${(p / 1000).toFixed(2)} µs`);
console.log(`  parseHeartbeat (size+parse+check)   ${(median(results.parseAndValidate) / 1000).toFixed(2)} µs`);
console.log(`  reject an invalid one (with error)  ${(median(results.rejectInvalid) / 1000).toFixed(2)} µs`);
console.log(`  validation / JSON.parse ratio       ${(v / p).toFixed(2)}×`);
