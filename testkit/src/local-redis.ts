import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, which } from './system.js';

/** Finds `redis-server` on PATH. */
export const findRedisServer = (): string | undefined => which('redis-server');

const live = new Set<ChildProcess>();
// A test process that ends (or crashes) must not leave its private Redis behind.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * A private `redis-server` on its own port and its own directory, with persistence off.
 * It can be killed, paused (SIGSTOP) and restarted on the same port, for fault tests.
 */
export class LocalRedisServer {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'pulse-redis-'));

  private constructor(
    private readonly binary: string,
    readonly port: number,
    private readonly extraArgs: readonly string[],
  ) {}

  /** `maxPort` leaves room for a cluster node's bus port (port + 10000). */
  static async start(binary: string, extraArgs: readonly string[] = [], maxPort?: number): Promise<LocalRedisServer> {
    let lastError: unknown;
    // The free port can be taken between probing and binding; try a few.
    for (let attempt = 0; attempt < 5; attempt++) {
      const server = new LocalRedisServer(binary, await freePort(maxPort), extraArgs);
      try {
        await server.spawn();
        return server;
      } catch (err) {
        lastError = err;
        server.removeDir();
      }
    }
    throw lastError;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private spawn(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      this.dir,
      '--daemonize',
      'no',
      '--loglevel',
      'notice',
      ...this.extraArgs,
    ];
    const child = spawn(this.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    live.add(child);
    child.once('exit', () => live.delete(child));
    return new Promise((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => fail(new Error(`redis-server did not start within 10 s:\n${output}`)), 10_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) done();
      };
      const onExit = (code: number | null) => fail(new Error(`redis-server exited with ${code}:\n${output}`));
      const cleanup = () => {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.off('exit', onExit);
        // Keep draining the pipes so that a chatty server never blocks on a full pipe.
        child.stdout?.resume();
        child.stderr?.resume();
      };
      const done = () => {
        cleanup();
        resolve();
      };
      const fail = (err: Error) => {
        cleanup();
        child.kill('SIGKILL');
        reject(err);
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      child.once('exit', onExit);
    });
  }

  /** SIGKILL, as a crash would. Resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGSTOP: the port stays open and connections hang, like a frozen server. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** Starts a fresh, empty server on the same port (killing the old one first). */
  async restart(): Promise<void> {
    await this.kill();
    await this.spawn();
  }

  async stop(): Promise<void> {
    this.resume();
    await this.kill();
    this.removeDir();
  }

  private removeDir(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
