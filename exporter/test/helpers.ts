import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RUNTIME } from '../src/runtime/detect.js';

export const EXAMPLE_SERVER = fileURLToPath(new URL('../examples/express-app/server.ts', import.meta.url));
export const BUN_EXAMPLE_SERVER = fileURLToPath(new URL('../examples/bun-app/server.ts', import.meta.url));
export const FAULT_APP = fileURLToPath(new URL('./fixtures/fault-app.ts', import.meta.url));

/**
 * `skip` for suites that start an app with the register entry: `--import`/`--require` is how Node preloads; Bun
 * apps use PulseRecorder and withPulse (exporter/README.md, tested in bun-app.test.ts), so CI's Bun leg skips them
 * rather than start an app that Bun would run without the entry.
 */
export const NEEDS_REGISTER_ENTRY = RUNTIME.name === 'bun' ? 'the register entry is for Node' : false;

/** The zero-code example app's folder: `@gravito/pulse-node/register` resolves from it, as from an app that installed it. */
export const ZERO_CODE_EXAMPLES = fileURLToPath(new URL('../examples/zero-code/', import.meta.url));

/**
 * In CI's Node 22 + OpenTelemetry 3.x leg, the resolver hook redirects `import`s but not the register entry's
 * `require()`s: its NodeSDK is the workspace's 2.x one, whose diag logger sits on the 2.x API's global, which the 3.x
 * API that Pulse imports there does not read. Pulse's diag lines are then not printed (the loud ones too: a logger is installed); everything else runs.
 */
export const OTEL3_LEG_ZERO_CODE = process.env.NODE_OPTIONS?.includes('resolve-otel3')
  ? "the .ci/otel3 leg loads the register entry's NodeSDK from the 2.x install (see OTEL3_LEG_ZERO_CODE)"
  : false;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let counter = 0;
/** A unique app name per test, so tests sharing a REDIS_URL never see each other. */
export function uniqueApp(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
}

export interface AppProcess {
  readonly url: string;
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  stop(): Promise<number | null>;
}

/** Runs a script in its own process of this test's runtime (`node --import tsx`), waits for its "listening on" line. */
export function startApp(script: string, env: Record<string, string>, nodeArgs: string[] = []): Promise<AppProcess> {
  return startProcess(process.execPath, ['--import', 'tsx', ...nodeArgs, script], env);
}

/** Runs a script under Bun, which runs TypeScript itself. */
export function startBunApp(bun: string, script: string, env: Record<string, string>): Promise<AppProcess> {
  return startProcess(bun, [script], env);
}

/** Runs `node <args>` (e.g. a plain .mjs app with a preload flag), waits for its "listening on" line. */
export function startNode(args: string[], env: Record<string, string | undefined>, cwd?: string, startupMs?: number): Promise<AppProcess> {
  return startProcess(process.execPath, args, env, cwd, startupMs);
}

async function startProcess(
  command: string,
  args: string[],
  env: Record<string, string | undefined>,
  cwd?: string,
  startupMs = 45_000,
): Promise<AppProcess> {
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not started in time: end it, or its pipes keep the test process alive.
      child.kill('SIGKILL');
      reject(new Error(`app did not start within ${startupMs / 1000} s\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, startupMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`app exited with ${code}\nstdout: ${stdout}\nstderr: ${stderr}`));
    });
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    url,
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** GET with a bound; returns the status and parsed JSON (or text). */
export async function get(url: string, timeoutMs = 5_000): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body };
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
}

export function assertCleanStderr(stderr: string): void {
  for (const marker of [
    'Unhandled error event',
    'PULSE-TEST-UNHANDLED-REJECTION',
    'PULSE-TEST-UNCAUGHT-EXCEPTION',
    'MaxListenersExceeded',
  ]) {
    if (stderr.includes(marker)) throw new Error(`stderr has "${marker}":\n${stderr.slice(0, 4000)}`);
  }
}
