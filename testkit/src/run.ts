import { spawn } from 'node:child_process';

export interface RunOptions {
  cwd?: string;
  /** The command's whole environment, as for `spawn` (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Written to the command's standard input, which is then closed (default: nothing). */
  input?: string;
  /** SIGKILLs the command after this long, which then fails. Default: no limit. */
  timeoutMs?: number;
  /** The exit code that counts as success, for a test of how a command fails (default 0). */
  expectedExitCode?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** How much of each stream a failure quotes: the end, where a tool says what went wrong. */
const TAIL_LINES = 60;

/**
 * Runs `command` (no shell) to its end and resolves with its output. Any other ending (another exit code, a signal,
 * the timeout, a command that does not start) rejects with an error that names the command and how it ended, and
 * quotes the last lines of its stderr and stdout: a failing test shows the tool's own words, not "Command failed".
 */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const { cwd, env, input, timeoutMs, expectedExitCode = 0 } = options;
  const commandLine = [command, ...args].map(quoted).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: 'pipe' });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    let timedOut = false;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, timeoutMs);
    // A command that does not start (ENOENT, EACCES) emits 'error'; the promise keeps the first outcome.
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`command did not start (${err.message}): ${commandLine}`, { cause: err }));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const result = { stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() };
      if (code === expectedExitCode && !timedOut) {
        resolve(result);
        return;
      }
      // How it ended comes first: a summary that clips long lines keeps it.
      const ending = timedOut
        ? `did not finish within ${timeoutMs} ms (killed)`
        : signal
          ? `was killed by ${signal}`
          : `exited with code ${code}${expectedExitCode === 0 ? '' : `, expected ${expectedExitCode}`}`;
      const heading = `command ${ending}: ${commandLine}`;
      reject(new Error([heading, ...tail('stderr', result.stderr), ...tail('stdout', result.stdout)].join('\n')));
    });
    // A command that exits without reading its input closes the pipe (EPIPE): its exit code says what happened.
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

/** An argument as it reads in a message: bare when it is plain, else in double quotes. */
function quoted(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg);
}

/** The last lines of one stream under a heading, or nothing for an empty stream. */
function tail(stream: string, text: string): string[] {
  const lines = text.trimEnd().split('\n');
  if (lines.length === 1 && lines[0] === '') return [];
  const heading = lines.length > TAIL_LINES ? `--- ${stream} (last ${TAIL_LINES} of ${lines.length} lines) ---` : `--- ${stream} ---`;
  return [heading, ...lines.slice(-TAIL_LINES)];
}
