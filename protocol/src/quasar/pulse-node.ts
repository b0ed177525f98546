import { type Static, Type } from '@sinclair/typebox';
import { EpochMillis, Percent } from '../schema/common.js';

/**
 * `PulseNode`: what Gravito Zenith's Pulse page reads, and what its Quasar agents (Node, Bun) and Laravel agent
 * write to `gravito:quasar:node:{service}:{id}`. Zenith's own contract, as its source defines it
 * (`packages/zenith/src/shared/types.ts`), not ours: these schemas describe it so that the bridge can validate
 * what agents write and what it mirrors.
 *
 * Objects are open (extra properties allowed): agents of other versions add fields, and Zenith ignores what it
 * does not read. Every field Zenith's page reads is required, because the page throws on a missing one.
 */

/** A count of jobs: a non-negative integer. */
const Jobs = () => Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
/** Bytes as agents send them: PHP and Bun may send a fraction, Zenith only formats it. */
const NodeBytes = (description = 'bytes') => Type.Number({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description });
const NodeText = (maxLength: number, description: string) => Type.String({ maxLength, description });

export const PULSE_NODE_LANGUAGES = ['node', 'bun', 'deno', 'php', 'go', 'python', 'other'] as const;

export const QueueSnapshot = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 256 }),
    driver: Type.Union([Type.Literal('redis'), Type.Literal('sqs'), Type.Literal('rabbitmq')]),
    size: Type.Object({ waiting: Jobs(), active: Jobs(), failed: Jobs(), delayed: Jobs() }, { title: 'QueueSize' }),
    throughput: Type.Optional(
      Type.Object(
        {
          in: Type.Number({ minimum: 0, description: 'jobs pushed per minute' }),
          out: Type.Number({ minimum: 0, description: 'jobs done per minute' }),
        },
        { title: 'QueueThroughput' },
      ),
    ),
  },
  { title: 'QueueSnapshot', description: 'one queue a Quasar agent watches' },
);

export const PulseNode = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 512, description: 'instance id; Quasar writes {hostname}-{pid}' }),
    service: Type.String({ minLength: 1, maxLength: 256, description: 'group name' }),
    language: Type.Union(
      PULSE_NODE_LANGUAGES.map((language) => Type.Literal(language)),
      { description: 'runtime family; Zenith picks the card icon from it' },
    ),
    version: NodeText(128, 'runtime version: process.version on Node, Bun.version on Bun, PHP_VERSION on Laravel'),
    pid: Type.Integer({ minimum: 0, maximum: 2 ** 31 }),
    hostname: NodeText(512, 'host name, or the name the agent was given'),
    platform: NodeText(64, 'operating system, e.g. "linux"'),
    cpu: Type.Object(
      {
        system: Percent('host CPU busy, 0 to 100 (the Node agent rounds it to an integer)'),
        process: Percent('process CPU time over wall time: a share of ONE core, capped at 100'),
        cores: Type.Integer({ minimum: 0, maximum: 65_536, description: 'logical CPUs (0 where the OS hides them)' }),
      },
      { title: 'PulseCpu' },
    ),
    memory: Type.Object(
      {
        system: Type.Object({ total: NodeBytes(), free: NodeBytes(), used: NodeBytes() }, { title: 'PulseSystemMemory' }),
        process: Type.Object(
          { rss: NodeBytes(), heapTotal: NodeBytes(), heapUsed: NodeBytes('may exceed heapTotal on Bun') },
          { title: 'PulseProcessMemory' },
        ),
      },
      { title: 'PulseMemory' },
    ),
    queues: Type.Optional(Type.Array(QueueSnapshot, { maxItems: 256 })),
    runtime: Type.Object(
      {
        uptime: Type.Number({ minimum: 0, description: 'process uptime, seconds' }),
        framework: NodeText(256, 'e.g. "Quasar", "Laravel 11.9"'),
      },
      { title: 'PulseRuntime' },
    ),
    meta: Type.Optional(Type.Unknown({ description: 'free-form; Zenith reads meta.laravel.{workerCount,roots}' })),
    timestamp: EpochMillis('time of the heartbeat, epoch ms; Zenith hides a node 60 s after it'),
  },
  {
    $id: 'PulseNode',
    title: 'PulseNode',
    description: "One process as Gravito Zenith's Pulse page shows it, at gravito:quasar:node:{service}:{id} (EX 30, every 10 s)",
  },
);

export type PulseNode = Static<typeof PulseNode>;
export type QueueSnapshot = Static<typeof QueueSnapshot>;
export type PulseNodeLanguage = PulseNode['language'];
