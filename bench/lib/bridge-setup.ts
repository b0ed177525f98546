// Setup shared by the bridge benches: the built bridge, a heartbeat to copy, heartbeats written in pipelines.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PulseHeartbeat } from '@gravito/pulse-protocol';
import type { ChainableCommander, Redis } from 'ioredis';

/** The built bridge's CLI, for a bench that runs it as a child process; exits with the fix when it is not built. */
export function builtBridgeCli(bench: string): string {
  const cli = fileURLToPath(new URL('../../bridge/dist/cli.js', import.meta.url));
  if (!existsSync(cli)) {
    console.error(`${bench} runs the built bridge: npm run build first`);
    process.exit(1);
  }
  return cli;
}

/** The protocol's full heartbeat vector (case 1), a fresh object on each call: benches edit their copy. */
export function heartbeatTemplate(): PulseHeartbeat {
  return JSON.parse(readFileSync(new URL('../../protocol/vectors/heartbeat.json', import.meta.url), 'utf8')).cases[1].value;
}

/** Sends `count` commands, `size` per pipeline and one pipeline at a time; `add` queues the i-th. */
export async function inPipelines(
  client: Redis,
  count: number,
  add: (pipeline: ChainableCommander, i: number) => void,
  size = 1_000,
): Promise<void> {
  for (let start = 0; start < count; start += size) {
    const pipeline = client.pipeline();
    for (let i = start; i < Math.min(start + size, count); i++) add(pipeline, i);
    await pipeline.exec();
  }
}
