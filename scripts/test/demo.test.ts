// npm run demo, as a user runs it: it serves /metrics with the example app up, and Ctrl-C (SIGINT) stops
// everything it started, leaving no process, port or temporary directory behind.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findRedisServer, freePort, which } from '@gravito/pulse-testkit';
import { parse } from 'yaml';
import { DEMO_PORTS } from '../demo/ports.js';
import { ROOT } from '../demo/stack.js';

const DEMO = join(ROOT, 'scripts', 'demo.ts');
const skip =
  process.env.REDIS_URL || findRedisServer() ? false : 'no REDIS_URL and no redis-server on PATH (apt-get install -y redis-server)';

/** The host ports docker-compose.yml publishes, each with its service. */
function composePorts(): Map<number, string> {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { ports?: string[] }> };
  return new Map(
    Object.entries(compose.services).flatMap(([service, { ports = [] }]) => ports.map((p) => [Number(p.split(':')[0]), service] as const)),
  );
}

interface Run {
  child: ChildProcess;
  /** SIGINT to the demo's whole process group, as a terminal's Ctrl-C. */
  interrupt: () => void;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The demo in a process group of its own, as a terminal runs it. */
function runDemo(env: NodeJS.ProcessEnv): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', DEMO], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const interrupt = () => process.kill(-(child.pid ?? 0), 'SIGINT');
  return { child, interrupt, output: () => output, exited };
}

/** Live descendants of `pid` (zombies, already dead, are left out), from /proc. */
function descendants(pid: number): Map<number, string> {
  const parents = new Map<number, number>();
  const commands = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      parents.set(Number(entry), Number(fields[1]));
      commands.set(Number(entry), readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim());
    } catch {
      // the process ended while we read it
    }
  }
  const out = new Map<number, string>();
  const visit = (parent: number) => {
    for (const [child, ppid] of parents) {
      if (ppid === parent && !out.has(child)) {
        out.set(child, commands.get(child) ?? '');
        visit(child);
      }
    }
  };
  visit(pid);
  return out;
}

/** The process group of `pid`, from /proc. */
function processGroup(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(1000) });
    return false;
  } catch {
    return true;
  }
}

test('npm run demo serves pulse_server_up 1 for the example app and stops cleanly on SIGINT', { skip, timeout: 90_000 }, async (t) => {
  const bridgePort = await freePort();
  const appPort = await freePort();
  const prometheusPort = await freePort();
  const withPrometheus = which('prometheus') !== undefined;
  const run = runDemo({
    ...process.env,
    PULSE_BRIDGE_PORT: String(bridgePort),
    PORT: String(appPort),
    PROMETHEUS_PORT: String(prometheusPort),
  });
  // On failure, stop the demo the way a user would, then make sure nothing it started outlives the test.
  let seen = new Map<number, string>();
  t.after(async () => {
    if (run.child.exitCode === null) {
      run.child.kill('SIGINT');
      await Promise.race([run.exited, new Promise((r) => setTimeout(r, 10_000))]);
    }
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
    for (const [pid] of seen) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });

  const metricsUrl = `http://127.0.0.1:${bridgePort}/metrics`;
  const deadline = Date.now() + 60_000;
  let metrics = '';
  while (Date.now() < deadline && run.child.exitCode === null) {
    if (run.child.pid) seen = new Map([...seen, ...descendants(run.child.pid)]);
    try {
      metrics = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(2000) })).text();
      if (/^pulse_server_up\{app="example-app",[^}]*\} 1$/m.test(metrics)) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  assert.match(metrics, /^pulse_server_up\{app="example-app",[^}]*\} 1$/m, `no example-app up series:\n${run.output()}`);
  // The demo runs with the Zenith mirror on: the servers are written to Zenith's keys.
  for (let i = 0; i < 20 && !/^pulse_bridge_zenith_mirror_writes_total\{result="written"\} [1-9]/m.test(metrics); i++) {
    await new Promise((r) => setTimeout(r, 250));
    metrics = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(2000) })).text();
  }
  assert.match(metrics, /^pulse_bridge_zenith_mirror_writes_total\{result="written"\} [1-9]/m);
  // The URLs are printed once everything is ready.
  for (let i = 0; i < 20 && !run.output().includes('Press Ctrl-C to stop.'); i++) await new Promise((r) => setTimeout(r, 250));
  // The Pulse page comes first.
  assert.match(run.output(), new RegExp(`demo is running:\\n  pulse page +http://127\\.0\\.0\\.1:${bridgePort}/ `));
  assert.match(run.output(), new RegExp(`http://127\\.0\\.0\\.1:${bridgePort}/metrics`));
  assert.match(run.output(), new RegExp(`http://127\\.0\\.0\\.1:${appPort}`));
  if (withPrometheus) assert.match(run.output(), new RegExp(`http://127\\.0\\.0\\.1:${prometheusPort}/`));
  const grafanaPort = [...composePorts()].find(([, service]) => service === 'grafana')?.[0];
  assert.match(run.output(), new RegExp(`Grafana dashboards: docker compose up, then http://localhost:${grafanaPort} `));

  const pid = run.child.pid;
  assert.ok(pid);
  const children = descendants(pid);
  const names = [...children.values()].join('\n');
  for (const expected of ['bridge/dist/cli.js', 'express-app/server.ts', 'express-app/traffic.ts'])
    assert.ok(names.includes(expected), `${expected} in\n${names}`);
  if (withPrometheus) assert.ok(names.includes('prometheus'), names);
  // Temporary directories the demo created: Prometheus's config and data, a private Redis's working directory.
  // redis-server rewrites its command line, but it runs in its --dir.
  const dirs = [...children].flatMap(([child, cmd]) => [
    ...(cmd.match(/--config\.file=(\S+)\/prometheus\.yml/)?.slice(1) ?? []),
    ...(/(^|\/)redis-server /.test(cmd) ? [readlinkSync(`/proc/${child}/cwd`)] : []),
  ]);
  assert.equal(
    dirs.length,
    (withPrometheus ? 1 : 0) + (process.env.REDIS_URL ? 0 : 1),
    `temporary directories: ${dirs.join(', ')}\n${names}`,
  );
  for (const dir of dirs) assert.ok(existsSync(dir) && dir.startsWith(tmpdir()), dir);

  // The terminal's Ctrl-C reaches the whole group: each service is in a group of its own, so that the demo stops them
  // in order, Redis last (else the bridge would log that Redis went away).
  for (const [child, cmd] of children) {
    if (/redis-server|bridge\/dist\/cli\.js|express-app\/|prometheus/.test(cmd))
      assert.notEqual(processGroup(child), processGroup(pid), `${cmd} is in the demo's process group`);
  }
  run.interrupt();
  const { code, signal } = await run.exited;
  assert.equal(signal, null, run.output());
  assert.equal(code, 0, run.output());
  assert.match(run.output(), /demo: stopped/);
  assert.doesNotMatch(run.output(), /redis unreachable/);
  const left = [...children].filter(([child]) => alive(child));
  assert.deepEqual(left, [], 'processes left behind');
  for (const dir of dirs) assert.ok(!existsSync(dir), `${dir} left behind`);
  for (const port of [bridgePort, appPort, ...(withPrometheus ? [prometheusPort] : [])]) {
    assert.ok(await refused(`http://127.0.0.1:${port}/`), `port ${port} still answers`);
  }
});

test("a default port of the demo is no other service's in the Docker stack (3000 is Grafana's there)", () => {
  const sameService = { bridge: 'bridge', app: 'example-app', prometheus: 'prometheus' } as const;
  const published = composePorts();
  for (const [name, port] of Object.entries(DEMO_PORTS) as [keyof typeof DEMO_PORTS, number][]) {
    const there = published.get(port);
    assert.ok(there === undefined || there === sameService[name], `the demo's ${name} port ${port} is ${there}'s in docker-compose.yml`);
  }
});

test('without REDIS_URL or redis-server, the demo says how to get Redis', async () => {
  const emptyPath = mkdtempSync(join(tmpdir(), 'pulse-demo-path-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: emptyPath };
    delete env.REDIS_URL;
    const run = runDemo(env);
    const { code } = await run.exited;
    assert.equal(code, 1, run.output());
    assert.match(run.output(), /redis-server was not found/);
    assert.match(run.output(), /apt-get install -y redis-server/);
    assert.match(run.output(), /docker compose up/);
  } finally {
    rmSync(emptyPath, { recursive: true, force: true });
  }
});
