import { type ChildProcess, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './run.js';
import { executable, freePort, which } from './system.js';

const HOW_TO_GET_POSTGRES =
  'No PostgreSQL for the tests: apt-get install -y postgresql (its binaries are found in /usr/lib/postgresql/*/bin), ' +
  'or set PG_BIN to a folder holding initdb and postgres.';

/** The user a private server runs as when the tests run as root (CI), as PostgreSQL refuses root: Debian's package makes it. */
const SERVER_USER = 'postgres';

const live = new Set<ChildProcess>();
// A test process that ends (or crashes) must not leave its private PostgreSQL behind.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** The folder holding `initdb` and `postgres`: `PG_BIN`, Debian's newest `/usr/lib/postgresql/<version>/bin`, or PATH. */
export function findPostgres(): string | undefined {
  const candidates = [process.env.PG_BIN];
  try {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((version) => `/usr/lib/postgresql/${version}/bin`));
  } catch {
    // no Debian package
  }
  const onPath = which('initdb');
  if (onPath) candidates.push(onPath.slice(0, onPath.lastIndexOf('/')));
  return candidates.find((dir) => dir && executable(join(dir, 'initdb')) && executable(join(dir, 'postgres')));
}

/**
 * The `skip` of a test that needs PostgreSQL: the reason when there is none, except in CI, where a missing PostgreSQL
 * must fail (startPostgres says how to install it) rather than pass unseen.
 */
export function skipWithoutPostgres(): string | false {
  return findPostgres() || process.env.CI ? false : HOW_TO_GET_POSTGRES;
}

export interface TestPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`: trust authentication, no password. */
  readonly url: string;
  readonly port: number;
  /** Stops the server (fast shutdown, then SIGKILL) and removes its folder. Idempotent. */
  stop(): Promise<void>;
}

/**
 * As root, every command runs as SERVER_USER through `setpriv`, which execs it (unlike `runuser`, which forks): the
 * server's pid is the child's, so signals reach it. The folder is handed to that user.
 */
async function asServerUser(dir: string): Promise<(command: string, args: string[]) => [string, string[]]> {
  if (process.getuid?.() !== 0) return (command, args) => [command, args];
  const id = async (flag: string) => Number((await run('id', [flag, SERVER_USER])).stdout.trim());
  chownSync(dir, await id('-u'), await id('-g'));
  const user = [`--reuid=${SERVER_USER}`, `--regid=${SERVER_USER}`, '--init-groups'];
  return (command, args) => ['setpriv', [...user, '--', command, ...args]];
}

/**
 * A private PostgreSQL for one test: a fresh cluster (`initdb`) in a temporary folder, its server on a free port of
 * 127.0.0.1 and its socket in that folder, durability off (it is thrown away). Runs as `postgres` when the tests run
 * as root. About 2 s to start.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const bin = findPostgres();
  if (!bin) throw new Error(HOW_TO_GET_POSTGRES);
  const dir = mkdtempSync(join(tmpdir(), 'pulse-postgres-'));
  const data = join(dir, 'data');
  try {
    const as = await asServerUser(dir);
    await run(...as(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']), {
      timeoutMs: 60_000,
    });
    let lastError: unknown;
    // The free port can be taken between probing and binding; try a few.
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort();
      const [command, args] = as(join(bin, 'postgres'), [
        ...['-D', data, '-k', dir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1'],
        ...['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
      ]);
      try {
        const child = await spawnServer(command, args);
        return server(child, port, dir);
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Starts the server and waits for "ready to accept connections" on its log (stderr). */
function spawnServer(command: string, args: string[]): Promise<ChildProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`postgres did not start within 30 s:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ready to accept connections')) done();
    };
    const onExit = (code: number | null) => fail(new Error(`postgres exited with ${code}:\n${output}`));
    const cleanup = () => {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      // Keep draining the pipes so that a chatty server never blocks on a full pipe.
      child.stdout?.resume();
      child.stderr?.resume();
    };
    const done = () => {
      cleanup();
      resolve(child);
    };
    const fail = (err: Error) => {
      cleanup();
      child.kill('SIGKILL');
      reject(err);
    };
    child.stderr?.on('data', onData);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', onExit);
  });
}

function server(child: ChildProcess, port: number, dir: string): TestPostgres {
  let stopping: Promise<void> | undefined;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGINT'); // fast shutdown: ends the sessions, no checkpoint wait worth having here
          const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(timer);
        }
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
