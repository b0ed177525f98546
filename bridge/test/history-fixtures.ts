// Shared by the history tests: bridges with short buckets, and a writer of slow entries and exceptions that
// remembers what it wrote (what Redis acknowledged), to compare the history API's counts against.
import { randomBytes } from 'node:crypto';
import { errorsKey, type HistoryResponse, heartbeatKey, SLOW_STREAM_MAXLEN, slowKey, slowStreamFields } from '@gravito/pulse-protocol';
import type { Cluster, Redis } from 'ioredis';
import { pino } from 'pino';
import { assembleBridge } from '../src/assemble.js';
import type { BridgeConfig } from '../src/config/config.js';
import type { HistoryOptions } from '../src/monitor/history/history-options.js';
import { errorEntry, heartbeat, slowEntry } from './helpers.js';

/** 60× faster: the 1 h period lasts a minute, in buckets of one second; exceptions settle after 300 ms. */
export const FAST_HISTORY: Partial<HistoryOptions> = { timeScale: 60, settleMs: 300 };

/** A bridge polling every 200 ms with history on (`FAST_HISTORY` unless told otherwise), logging into `logs`. */
export async function startHistoryBridge(redisUrl: string, history: Partial<HistoryOptions> = {}, config: Partial<BridgeConfig> = {}) {
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const bridge = assembleBridge(
    { host: '127.0.0.1', port: 0, redisUrl, redisTimeoutMs: 1_000, ...config },
    { logger, unsafeIntervalMs: 200, history: { ...FAST_HISTORY, ...history } },
  );
  const { url } = await bridge.start();
  return { bridge, url, logs, stop: () => bridge.stop(2_000) };
}

export const ROUTES = ['GET /orders/:id', 'POST /checkout', 'GET /search'] as const;
export const FINGERPRINTS = ['aaaa1111', 'bbbb2222'] as const;

/** What a writer wrote and Redis acknowledged, by slow group and fingerprint. */
export class WrittenTally {
  readonly slow = new Map<string, { count: number; max: number; sum: number }>();
  readonly exceptions = new Map<string, number>();
  /** Per fingerprint, the messages of its latest occurrences (those of its highest timestamp). */
  readonly latest = new Map<string, { at: number; messages: string[] }>();
  /** Acknowledged writes by time, for a bound around a failover. */
  readonly ackTimes: number[] = [];

  constructor(
    private readonly client: Redis | Cluster,
    readonly app: string,
  ) {}

  async heartbeat(id: string): Promise<void> {
    await this.client.set(heartbeatKey(this.app, id), JSON.stringify(heartbeat(this.app, id)), 'EX', 30);
  }

  /** Writes the i-th slow entry (route i mod 3, duration 1000 + i) as an SDK does; counted once acknowledged. */
  async writeSlow(i: number): Promise<void> {
    const name = ROUTES[i % ROUTES.length] as string;
    const duration = 1_000 + i;
    const entry = slowEntry({ kind: 'request', name, duration_ms: duration, server_id: `web-${i % 2}` });
    await this.client.xadd(slowKey(this.app), 'MAXLEN', '~', SLOW_STREAM_MAXLEN, '*', ...slowStreamFields(entry));
    const known = this.slow.get(name) ?? { count: 0, max: 0, sum: 0 };
    known.count++;
    known.sum += duration;
    known.max = Math.max(known.max, duration);
    this.slow.set(name, known);
    this.ackTimes.push(Date.now());
  }

  /** Writes the i-th exception (fingerprint i mod 2) as an SDK does; counted once acknowledged. */
  async writeException(i: number): Promise<void> {
    const fingerprint = FINGERPRINTS[i % FINGERPRINTS.length] as string;
    const entry = errorEntry(this.app, {
      fingerprint,
      message: `boom ${i}`,
      server_id: `web-${Math.floor(i / 2) % 2}`,
      id: randomBytes(8).toString('hex'),
    });
    await this.client.zadd(errorsKey(this.app), entry.timestamp, JSON.stringify(entry));
    this.exceptions.set(fingerprint, (this.exceptions.get(fingerprint) ?? 0) + 1);
    const latest = this.latest.get(fingerprint);
    if (!latest || entry.timestamp > latest.at) this.latest.set(fingerprint, { at: entry.timestamp, messages: [entry.message] });
    else if (entry.timestamp === latest.at) latest.messages.push(entry.message);
    this.ackTimes.push(Date.now());
  }

  get totalSlow(): number {
    let n = 0;
    for (const { count } of this.slow.values()) n += count;
    return n;
  }

  get totalExceptions(): number {
    let n = 0;
    for (const count of this.exceptions.values()) n += count;
    return n;
  }
}

export async function history(url: string, query: string): Promise<HistoryResponse> {
  const res = await fetch(`${url}/api/pulse/history?${query}`);
  if (res.status !== 200) throw new Error(`history answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as HistoryResponse;
}

/** The counts the API gives for one app: by slow route and by fingerprint. */
export function countsOf(answer: HistoryResponse, app: string) {
  const view = answer.apps.find((a) => a.app === app);
  const slow = Object.fromEntries((view?.slow ?? []).map((g) => [g.name, g.count]));
  const exceptions = Object.fromEntries((view?.exceptions ?? []).map((g) => [g.fingerprint, g.count]));
  const totalSlow = (view?.slow ?? []).reduce((n, g) => n + g.count, 0) + (view?.slow_other.count ?? 0);
  const totalExceptions = (view?.exceptions ?? []).reduce((n, g) => n + g.count, 0) + (view?.exceptions_other.count ?? 0);
  return { view, slow, exceptions, totalSlow, totalExceptions };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
