// Zenith compatibility at 10,000 servers, each next to its baseline in the same run:
// - the poll with the Quasar reader on (the default) and off, with no agent node in Redis: what the extra SCAN costs;
// - reading 10,000 agents' nodes (scan, fetch, validate, map) next to the raw SCAN + MGET floor;
// - the Zenith mirror writing 10,000 changed nodes (one-key script that never overwrites an agent) next to plain
//   pipelined SETs, and again when no server changed (nodes mapped once per heartbeat); and through a Redis user
//   without @scripting (a bounded read, then SET NX or SET).
//   node --import tsx bench/bridge-zenith.ts

import { readFileSync } from 'node:fs';
import { heartbeatKey, heartbeatToPulseNode, QUASAR_NODE_SCAN_PATTERN, quasarNodeKey } from '@gravito/pulse-protocol';
import { addUserWithoutScripts, asUserWithoutScripts, startRedis } from '@gravito/pulse-testkit';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { InvalidValues } from '../bridge/src/lib/invalid-values.js';
import { AgentRecords } from '../bridge/src/monitor/agent-records.js';
import { Clock } from '../bridge/src/monitor/clock.js';
import { MonitorService } from '../bridge/src/monitor/monitor-service.js';
import { ZenithMirror } from '../bridge/src/outputs/zenith/mirror.js';
import { connectRedis } from '../bridge/src/redis/connection.js';
import { MGET_CHUNK, scanEach } from '../bridge/src/redis/read.js';
import { QuasarReader } from '../bridge/src/sources/quasar/reader.js';
import { heartbeatTemplate, inPipelines } from './lib/bridge-setup.js';
import { timeWithLoopBlock } from './lib/loop-block.js';
import { median } from './lib/median.js';

const SERVERS = 10_000;
const APPS = 100;
const ROUNDS = 5;
const log = pino({ level: 'silent' });

const template = heartbeatTemplate();
delete template.system.disks;
// The Node agent watching two queues.
const nodeTemplate = JSON.parse(readFileSync(new URL('../protocol/vectors/pulse-node.json', import.meta.url), 'utf8')).cases[1].value;

/** Longest event-loop block of each timed step, by label. */
const blocks = new Map<string, number[]>();
async function time(fn: () => Promise<unknown>, label?: string): Promise<number> {
  const { ms, maxBlockMs } = await timeWithLoopBlock(fn);
  if (label) blocks.set(label, [...(blocks.get(label) ?? []), maxBlockMs]);
  return ms;
}
const block = (label: string) => `longest block ${median(blocks.get(label) ?? [0]).toFixed(0)} ms`;

function writeHeartbeats(client: Redis): Promise<void> {
  return inPipelines(client, SERVERS, (p, i) => {
    const hb = { ...structuredClone(template), timestamp: Date.now() };
    hb.meta.app_name = `app-${i % APPS}`;
    p.set(heartbeatKey(`app-${i % APPS}`, `server-${i}`), JSON.stringify(hb), 'EX', 300);
  });
}

function writeAgentNodes(client: Redis, round: number): Promise<void> {
  return inPipelines(client, SERVERS, (p, i) => {
    const node = { ...nodeTemplate, service: `agent-${i % APPS}`, id: `host-${i}-${round}`, pid: i, timestamp: Date.now() };
    p.set(quasarNodeKey(node.service, `host-${i}`), JSON.stringify(node), 'EX', 300);
  });
}

const redis = await startRedis();
const client = redis.client();
console.log(`redis: ${redis.source} ${redis.url}; ${SERVERS} servers, ${ROUNDS} rounds, medians`);
const handle = connectRedis(redis.url, { timeoutMs: 5_000 });
while (!handle.ready()) await new Promise((r) => setTimeout(r, 20));
await writeHeartbeats(client);

// 1. The poll, reader on and off, alternated round by round; no agent node exists.
const options = { intervalMs: 60_000, lostAfterMs: 60_000, forgetAfterMs: 600_000, tickTimeoutMs: 30_000 };
const withReader = new MonitorService(handle, { ...options, quasar: new QuasarReader() }, log);
const without = new MonitorService(handle, options, log);
await withReader.tick();
await without.tick();
const pollOn: number[] = [];
const pollOff: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  await writeHeartbeats(client);
  pollOff.push(await time(() => without.tick()));
  await writeHeartbeats(client);
  pollOn.push(await time(() => withReader.tick()));
}

// 2. Reading 10,000 agents' nodes, next to the floor (SCAN + MGET of the same keys, no parsing).
const reader = new QuasarReader();
const invalid = new InvalidValues(log);
const clock = new Clock(log);
// The reader's heartbeats as the monitor makes them records: what a poll pays for the agents.
const agents = new AgentRecords(clock);
const readAll: number[] = [];
const readSame: number[] = [];
const floor: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  await writeAgentNodes(client, round);
  floor.push(
    await time(async () => {
      const keys: string[] = [];
      await scanEach(handle, QUASAR_NODE_SCAN_PATTERN, SERVERS * 2, (key) => keys.push(key));
      const chunks = [];
      for (let i = 0; i < keys.length; i += MGET_CHUNK) chunks.push((handle.client as Redis).mget(keys.slice(i, i + MGET_CHUNK)));
      await Promise.all(chunks);
    }),
  );
  readAll.push(await time(async () => agents.of(await reader.read(handle, invalid)), 'read'));
  readSame.push(await time(async () => agents.of(await reader.read(handle, invalid))));
}
if (reader.counts.ownMirrors !== 0 || invalid.counts.heartbeat !== 0) throw new Error('unexpected skips');
await client.eval("for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end", 0, QUASAR_NODE_SCAN_PATTERN);

// 3. The mirror, next to plain pipelined SETs of the same nodes (no agent check).
await writeHeartbeats(client);
await without.tick();
const snapshot = without.lastSnapshot();
const mirror = new ZenithMirror(handle, log);
await addUserWithoutScripts(client);
const handleWithoutScripts = connectRedis(asUserWithoutScripts(redis.url), { timeoutMs: 5_000 });
const mirrorWithoutScripts = new ZenithMirror(handleWithoutScripts, log);
while (!handleWithoutScripts.ready()) await new Promise((r) => setTimeout(r, 20));
/** One poll's mirror writes, until they have all been answered. */
const timeMirror = (m: ZenithMirror, snap: typeof snapshot, label?: string) =>
  time(async () => {
    m.mirror(snap);
    await m.settled();
  }, label);
// Its first write learns that Redis refuses scripts (untimed).
await timeMirror(mirrorWithoutScripts, { ...snapshot, event: structuredClone(snapshot.event) });
const mirrorMs: number[] = [];
const withoutScriptsMs: number[] = [];
const plainMs: number[] = [];
const mapMs: number[] = [];
const unchangedMs: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  let nodes: [string, string][] = [];
  mapMs.push(
    await time(async () => {
      nodes = snapshot.event.apps.flatMap((app) =>
        app.servers.map((s) => [quasarNodeKey(s.app, s.id), JSON.stringify(heartbeatToPulseNode(s.heartbeat, s))] as [string, string]),
      );
    }, 'map'),
  );
  plainMs.push(
    await time(async () => {
      const writes = [];
      for (let i = 0; i < nodes.length; i += 500) {
        const p = client.pipeline();
        for (const [key, value] of nodes.slice(i, i + 500)) p.set(key, value, 'EX', 30);
        writes.push(p.exec());
      }
      await Promise.all(writes);
    }),
  );
  // Fresh heartbeat objects each round, as after a poll where every server changed: the mirror maps a server
  // once per heartbeat, so the same snapshot again would not be mapped (that case is timed below).
  const changed = { ...snapshot, event: structuredClone(snapshot.event) };
  mirrorMs.push(await timeMirror(mirror, changed, 'mirror'));
  unchangedMs.push(await timeMirror(mirror, changed));
  withoutScriptsMs.push(await timeMirror(mirrorWithoutScripts, { ...snapshot, event: structuredClone(snapshot.event) }, 'without scripts'));
}
if (mirror.counts.written !== 2 * SERVERS * ROUNDS || mirror.counts.failed !== 0)
  throw new Error(`mirror counts ${JSON.stringify(mirror.counts)}`);
if (mirrorWithoutScripts.counts.written !== SERVERS * (ROUNDS + 1) || mirrorWithoutScripts.counts.failed !== 0)
  throw new Error(`mirror without scripts counts ${JSON.stringify(mirrorWithoutScripts.counts)}`);

const ms = (x: number) => `${x.toFixed(0)} ms`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
console.log('\npoll of 10,000 changed heartbeats, no agent node in Redis');
console.log(`  Quasar reader off        ${ms(median(pollOff))}`);
console.log(`  Quasar reader on         ${ms(median(pollOn))}  (${ratio(median(pollOn), median(pollOff))})`);
console.log('\nreading 10,000 agent nodes (~900 B each)');
console.log(`  floor: SCAN + MGET       ${ms(median(floor))}`);
console.log(`  reader, all changed      ${ms(median(readAll))}  (${ratio(median(readAll), median(floor))} the floor), ${block('read')}`);
console.log(`  reader, none changed     ${ms(median(readSame))}  (${ratio(median(readSame), median(floor))} the floor)`);
console.log('\nmirroring 10,000 servers');
console.log(`  mapping + JSON only, in one go  ${ms(median(mapMs))}, ${block('map')}`);
console.log(`  plain pipelined SET EX   ${ms(median(plainMs))}`);
console.log(
  `  mirror (script, no clobber, includes mapping)  ${ms(median(mirrorMs))}  (${ratio(median(mirrorMs), median(plainMs) + median(mapMs))} map + plain SET), ${block('mirror')}`,
);
console.log(`  mirror, no server changed (mapped before)  ${ms(median(unchangedMs))}`);
console.log(
  `  mirror without scripts (bounded read, then SET NX / SET)  ${ms(median(withoutScriptsMs))}  (${ratio(median(withoutScriptsMs), median(mirrorMs))} the script's), ${block('without scripts')}`,
);

await withReader.stop();
await without.stop();
await handle.close();
await handleWithoutScripts.close();
client.disconnect();
await redis.stop();
