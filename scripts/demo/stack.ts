import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findRedisServer, freePort, which } from '@gravito/pulse-testkit';
import { Child, type LineSink, portIsFree, waitForHttp } from './processes.js';

/** The repository root: every command runs from there, as it does natively and in the Dockerfiles. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BRIDGE_CLI = join(ROOT, 'bridge', 'dist', 'cli.js');
export const EXAMPLE_DIR = join('exporter', 'examples', 'express-app');
export const RULES_FILE = join(ROOT, 'grafana', 'prometheus', 'rules.yml');

export const NO_REDIS_SERVER = [
  'redis-server was not found on PATH, and REDIS_URL is not set. Any one of these works:',
  '  - install it: apt-get install -y redis-server (Debian/Ubuntu), brew install redis (macOS);',
  '  - point the demo at a running Redis: REDIS_URL=redis://host:6379 npm run demo;',
  '  - or run the whole stack in Docker, Grafana included: docker compose up',
].join('\n');

export class StackError extends Error {}

export interface StackOptions {
  /** A running Redis; when unset, a private `redis-server` from PATH is started. */
  redisUrl?: string;
  /** 0 picks a free port. A fixed port already in use is an error, named after `portVariables`. */
  bridgePort: number;
  appPort: number;
  /** `undefined`: no Prometheus. 0 picks a free port. */
  prometheusPort?: number;
  scrapeIntervalSeconds?: number;
  /** Prometheus rule files (default: the shipped grafana/prometheus/rules.yml). */
  ruleFiles?: readonly string[];
  /** Environment passed to every child (the bridge and the app read their own variables from it). */
  env?: NodeJS.ProcessEnv;
  /** Each child output line, e.g. to print it prefixed. */
  sink?: LineSink;
  /** Called when a child exits while the stack is running (not while it stops). */
  onUnexpectedExit?: (name: string, code: number | null, signal: NodeJS.Signals | null) => void;
  /** The variable that sets each port, for the "port in use" message. */
  portVariables?: { bridge?: string; app?: string; prometheus?: string };
  /** Aborting stops whatever was started so far; startStack then rejects. */
  signal?: AbortSignal;
  /** Start the traffic generator (default true). */
  traffic?: boolean;
}

export interface Stack {
  readonly redisUrl: string;
  readonly privateRedis: boolean;
  readonly appUrl: string;
  readonly bridgeUrl: string;
  readonly prometheusUrl: string | undefined;
  readonly children: readonly Child[];
  /** Stops everything that was started, in reverse order, and removes temporary directories. Idempotent. */
  stop(): Promise<void>;
  /** The impatient way out (a second Ctrl-C): SIGKILL to every child and temporary directories removed, now. */
  killNow(): void;
}

/** A Prometheus config scraping the bridge. JSON is YAML, so no YAML writer is needed. */
export function prometheusConfig(bridgeTarget: string, scrapeIntervalSeconds: number, ruleFiles: readonly string[]): string {
  const interval = `${scrapeIntervalSeconds}s`;
  return `${JSON.stringify(
    {
      global: { scrape_interval: interval, evaluation_interval: interval },
      rule_files: ruleFiles,
      scrape_configs: [{ job_name: 'pulse-bridge', static_configs: [{ targets: [bridgeTarget] }] }],
    },
    null,
    2,
  )}\n`;
}

/**
 * Starts Redis (unless given), the bridge, the example app, its traffic generator and, when asked, Prometheus,
 * with the same commands and environment variables as when each is run alone. On any failure, whatever was
 * started is stopped before the error is thrown.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  if (!existsSync(BRIDGE_CLI)) throw new StackError(`${BRIDGE_CLI} is missing: run npm run build first.`);
  // A busy fixed port would otherwise surface late and confusingly, e.g. readiness answered by another Prometheus.
  for (const [port, name] of [
    [options.bridgePort, options.portVariables?.bridge ?? 'bridge port'],
    [options.appPort, options.portVariables?.app ?? 'app port'],
    [options.prometheusPort, options.portVariables?.prometheus ?? 'prometheus port'],
  ] as const) {
    if (port && !(await portIsFree(port))) throw new StackError(`port ${port} is already in use: set ${name} to another port.`);
  }
  const children: Child[] = [];
  const tempDirs: string[] = [];
  let stopping = false;

  // Safe to run again or concurrently: each step only stops what is still running. Re-running matters when an
  // abort lands while a step (such as Redis) is still starting: the catch below runs it once more.
  const stop = async (): Promise<void> => {
    stopping = true;
    for (const child of [...children].reverse()) await child.stop();
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  };
  options.signal?.addEventListener('abort', () => void stop(), { once: true });

  const start = (name: string, command: string, args: string[], env: NodeJS.ProcessEnv): Child => {
    if (stopping) throw new StackError('interrupted while starting');
    const child = new Child(name, command, args, { cwd: ROOT, env, sink: options.sink });
    children.push(child);
    child.onExit((code, signal) => {
      if (!stopping) options.onUnexpectedExit?.(name, code, signal);
    });
    return child;
  };

  try {
    let redisUrl = options.redisUrl;
    if (!redisUrl) {
      const binary = findRedisServer();
      if (!binary) throw new StackError(NO_REDIS_SERVER);
      // A child like the others (not the testkit's LocalRedisServer, which shares the demo's process group): a
      // terminal's Ctrl-C then reaches the demo only, and Redis, started first, is stopped last. Were it stopped at
      // once, the bridge and the app would still be running, and say that Redis went away.
      const dir = mkdtempSync(join(tmpdir(), 'pulse-redis-'));
      tempDirs.push(dir);
      const port = await freePort();
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
      await start('redis', binary, args, process.env).waitForLine(/Ready to accept connections/, 10_000);
      redisUrl = `redis://127.0.0.1:${port}`;
    }
    const base = { ...process.env, ...options.env, REDIS_URL: redisUrl };

    const bridgePort = options.bridgePort || (await freePort());
    const bridgeUrl = `http://127.0.0.1:${bridgePort}`;
    const bridge = start('bridge', process.execPath, [BRIDGE_CLI], { ...base, PULSE_BRIDGE_PORT: String(bridgePort) });

    const app = start('app', process.execPath, ['--import', 'tsx', join(EXAMPLE_DIR, 'server.ts')], {
      ...base,
      PORT: String(options.appPort),
    });
    const listening = await app.waitForLine(/listening on (http:\/\/\S+)/, 30_000);
    const appUrl = listening[1] ?? `http://127.0.0.1:${options.appPort}`;
    await waitForHttp(`${bridgeUrl}/healthz`, 30_000, bridge);

    if (options.traffic !== false) {
      start('traffic', process.execPath, ['--import', 'tsx', join(EXAMPLE_DIR, 'traffic.ts')], { ...base, TARGET_URL: appUrl });
    }

    let prometheusUrl: string | undefined;
    if (options.prometheusPort !== undefined) {
      const binary = which('prometheus');
      if (!binary) throw new StackError('prometheus was not found on PATH (apt-get install -y prometheus).');
      const dir = mkdtempSync(join(tmpdir(), 'pulse-prometheus-'));
      tempDirs.push(dir);
      const config = join(dir, 'prometheus.yml');
      writeFileSync(
        config,
        prometheusConfig(`127.0.0.1:${bridgePort}`, options.scrapeIntervalSeconds ?? 1, options.ruleFiles ?? [RULES_FILE]),
      );
      const port = options.prometheusPort || (await freePort());
      prometheusUrl = `http://127.0.0.1:${port}`;
      const prometheus = start(
        'prometheus',
        binary,
        [
          `--config.file=${config}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          '--storage.tsdb.retention.time=1d',
          `--web.listen-address=127.0.0.1:${port}`,
          `--web.console.templates=${join(dir, 'consoles')}`,
          `--web.console.libraries=${join(dir, 'console_libraries')}`,
        ],
        base,
      );
      await waitForHttp(`${prometheusUrl}/-/ready`, 30_000, prometheus);
    }

    if (stopping) throw new StackError('interrupted while starting');
    const killNow = () => {
      stopping = true;
      for (const child of children) if (child.running) child.process.kill('SIGKILL');
      for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
    };

    return {
      redisUrl,
      privateRedis: options.redisUrl === undefined,
      appUrl,
      bridgeUrl,
      prometheusUrl,
      children,
      stop,
      killNow,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
