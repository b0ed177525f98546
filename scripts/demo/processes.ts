import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

/** Whether `port` can be bound on 127.0.0.1 right now. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export type LineSink = (name: string, line: string) => void;

/** A child process of the demo, with its output read line by line and a way to stop it for good. */
export class Child {
  readonly process: ChildProcess;
  private readonly exited: Promise<void>;
  private readonly lineListeners = new Set<(line: string) => void>();
  private tail: string[] = [];

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    options: { env: NodeJS.ProcessEnv; cwd: string; sink?: LineSink },
  ) {
    // Its own process group: a terminal Ctrl-C reaches the demo only, which then stops the children in order
    // (traffic before the app, the app before the bridge) instead of all of them at once.
    this.process = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.exited = new Promise((resolve) => {
      this.process.once('exit', () => resolve());
      // A spawn failure (ENOENT) emits 'error' and never 'exit'.
      this.process.once('error', (err) => {
        this.tail.push(String(err));
        resolve();
      });
    });
    for (const stream of [this.process.stdout, this.process.stderr]) {
      if (!stream) continue;
      // Keep reading even with no sink: a full pipe would block the child.
      createInterface({ input: stream }).on('line', (line) => {
        this.tail.push(line);
        if (this.tail.length > 40) this.tail = this.tail.slice(-20);
        options.sink?.(name, line);
        for (const listener of this.lineListeners) listener(line);
      });
    }
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null && this.process.pid !== undefined;
  }

  /** The last lines of output, for error messages. */
  get recentOutput(): string {
    return this.tail.join('\n');
  }

  onExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void {
    this.process.once('exit', listener);
  }

  /** Resolves with the first line matching `pattern`; rejects when the process exits first or on timeout. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => finish(new Error(`${this.name}: no line matching ${pattern} within ${timeoutMs} ms\n${this.recentOutput}`)),
        timeoutMs,
      );
      const onLine = (line: string) => {
        const match = line.match(pattern);
        if (match) finish(undefined, match);
      };
      const onExit = () => finish(new Error(`${this.name} exited before it was ready:\n${this.recentOutput}`));
      const finish = (err?: Error, match?: RegExpMatchArray) => {
        clearTimeout(timer);
        this.lineListeners.delete(onLine);
        this.process.off('exit', onExit);
        if (err) reject(err);
        else if (match) resolve(match);
      };
      this.lineListeners.add(onLine);
      this.process.once('exit', onExit);
    });
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Resolves once the process is gone. Idempotent. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.running) {
      this.process.kill('SIGTERM');
      const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    await this.exited;
  }
}

/** Polls `url` until it answers 2xx. */
export async function waitForHttp(url: string, timeoutMs: number, child?: Child): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child && !child.running) throw new Error(`${child.name} exited before it was ready:\n${child.recentOutput}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = String(err);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${last})${child ? `\n${child.recentOutput}` : ''}`);
}
