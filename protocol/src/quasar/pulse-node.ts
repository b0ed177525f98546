import { type Static, Type } from '@sinclair/typebox';
import { EpochMillis, Percent } from '../schema/common.js';
import { REPORTED_STATUSES } from '../schema/heartbeat.js';
import { MIRROR_META_KEY } from './mirror-mark.js';

/**
 * `PulseNode`: what Gravito Zenith's Pulse page reads, and what its Quasar agents (Node, Bun), its Laravel agent
 * and its Go agent (gravito-framework/quasar-go) write to `gravito:quasar:node:{service}:{id}`. Zenith's own
 * contract, as its source defines it (`packages/zenith/src/shared/types.ts`, quasar-go's `pkg/types/types.go`),
 * not ours: these schemas describe it so that the bridge can validate what agents write and what it mirrors.
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

/** One Laravel queue worker (`php artisan queue:work`, `horizon`) a Zenith agent found on its host. */
export const LaravelWorker = Type.Object(
  {
    pid: Type.Integer({ minimum: 0, maximum: 2 ** 31 }),
    cmdline: NodeText(4_096, 'its command line, e.g. "php artisan queue:work redis --queue=default"'),
    memory: NodeBytes('resident set, bytes'),
    cpu: Type.Number({ minimum: 0, description: 'CPU percent, as the agent reads it for its own process: a share of ONE core' }),
    status: NodeText(64, 'process state as the agent reads it, e.g. "running", "sleeping"'),
  },
  { title: 'LaravelWorker' },
);

/** `meta.laravel`: what the Laravel and Go agents found of the Laravel app on their host. */
export const LaravelMeta = Type.Object(
  {
    workerCount: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'queue workers found' })),
    roots: Type.Optional(Type.Array(NodeText(4_096, 'a Laravel app root on the host'), { maxItems: 256 })),
    workers: Type.Optional(Type.Array(LaravelWorker, { maxItems: 1_024, description: 'the workers themselves (the Go agent)' })),
  },
  { title: 'LaravelMeta' },
);

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
        status: Type.Optional(
          Type.Union(
            REPORTED_STATUSES.map((status) => Type.Literal(status)),
            { description: "the agent's own status (the Go agent); absent in agents that do not say" },
          ),
        ),
        errors: Type.Optional(
          Type.Array(NodeText(256, 'a fault, e.g. "monitor_redis_offline"'), {
            maxItems: 64,
            description: 'what is wrong, when status says so',
          }),
        ),
      },
      { title: 'PulseRuntime' },
    ),
    // Open, so free-form past `laravel`; null is read as no meta (a Go agent's empty map).
    meta: Type.Optional(
      Type.Union(
        [
          Type.Object(
            {
              laravel: Type.Optional(LaravelMeta),
              [MIRROR_META_KEY]: Type.Optional(Type.Unknown({ description: "a Pulse bridge's mirror mark (isMirroredNode)" })),
            },
            { title: 'PulseNodeMeta' },
          ),
          Type.Null(),
        ],
        {
          description: 'free-form object; Zenith reads meta.laravel.{workerCount,roots}, the bridge meta.laravel.workers',
        },
      ),
    ),
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
export type LaravelWorker = Static<typeof LaravelWorker>;
