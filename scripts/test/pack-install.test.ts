// Packages that install: protocol, exporter and bridge are packed with `npm pack` and installed from their
// tarballs into fresh apps outside the workspace (ESM JavaScript, CommonJS, strict TypeScript without
// skipLibCheck), as an adopter installs them. Each app runs against a real Redis and must produce a heartbeat, a
// slow entry named by its route template and an exception; the packed bridge is started from its bin. The
// tarballs are linted with publint and @arethetypeswrong/cli. Third-party dependencies come from the npm registry
// through the shared npm cache (one `npm install` for the three apps), at the versions the workspace's lockfile pins.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { errorsKey, parseErrorMember, parseHeartbeat, parseSlowStreamFields, slowKey } from '@gravito/pulse-protocol';
import { eventually, startRedis, type TestRedis } from '@gravito/pulse-testkit';
import type { Redis } from 'ioredis';
import { Child } from '../demo/processes.js';
import { ROOT } from '../demo/stack.js';

const run = promisify(execFile);
const FIXTURES = join(ROOT, 'scripts', 'test', 'fixtures', 'packed-apps');
const PACKAGES = ['protocol', 'exporter', 'bridge'] as const;
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The workspace's own (lockfile-pinned, hoisted) copy of a dependency, so the apps install what the tests ran with. */
const manifest = (name: string) => {
  const path = join(ROOT, 'node_modules', name, 'package.json');
  return { path, json: JSON.parse(readFileSync(path, 'utf8')) };
};
const pinned = (name: string): string => manifest(name).json.version;
/** A devDependency's CLI script, run with this Node (no npx, no network). */
const binOf = (name: string, bin: string): string => {
  const { path, json } = manifest(name);
  const entry = typeof json.bin === 'string' ? json.bin : json.bin[bin];
  return join(path, '..', entry);
};
const OTEL = [
  '@opentelemetry/api',
  '@opentelemetry/sdk-node',
  '@opentelemetry/instrumentation',
  '@opentelemetry/instrumentation-http',
  '@opentelemetry/instrumentation-express',
  '@opentelemetry/core',
  '@opentelemetry/sdk-metrics',
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/resources',
  'express',
];

interface AppSpec {
  name: string;
  type: 'module' | 'commonjs';
  /** Fixture file → its name in the app. */
  files: Record<string, string>;
  /** Node arguments that start it, in its folder. */
  start: string[];
  /** Node arguments that build it first, in its folder. */
  build?: string[];
}

const APPS: AppSpec[] = [
  {
    name: 'esm',
    type: 'module',
    files: { 'esm-instrumentation.mjs': 'instrumentation.mjs', 'esm-app.mjs': 'app.mjs' },
    start: ['--import', './instrumentation.mjs', 'app.mjs'],
  },
  {
    name: 'cjs',
    type: 'commonjs',
    files: { 'cjs-instrumentation.cjs': 'instrumentation.cjs', 'cjs-app.cjs': 'app.cjs' },
    start: ['--require', './instrumentation.cjs', 'app.cjs'],
  },
  {
    name: 'ts',
    type: 'module',
    files: { 'ts-app.ts': 'app.ts' },
    start: ['app.js'],
    build: ['../node_modules/typescript/bin/tsc', '-p', '.'],
  },
];

/** strict, and every .d.ts checked: what a careful TypeScript consumer compiles with. */
const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    skipLibCheck: false,
    types: ['node'],
    outDir: '.',
  },
  files: ['app.ts'],
};

/** A Node process in `cwd`, its output kept for the failure messages. */
const startNode = (name: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Child =>
  new Child(name, process.execPath, args, { cwd, env: { ...process.env, ...env } });
/** Resolves with the exit code when the process exits. */
const exitCode = (child: Child): Promise<number | null> => new Promise((resolve) => child.onExit((code) => resolve(code)));

describe('packed packages install and run in fresh apps', () => {
  let dir: string;
  let redis: TestRedis;
  let client: Redis;
  const tarballs = new Map<string, string>();
  const children: Child[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pulse-pack-'));
    redis = await startRedis();
    client = redis.client();
    const { stdout } = await run(NPM, ['pack', '--json', '--pack-destination', dir, ...PACKAGES.flatMap((p) => ['-w', p])], {
      cwd: ROOT,
      maxBuffer: 16 * 1024 * 1024,
    });
    const packed = JSON.parse(stdout) as { name: string; filename: string; files: { path: string }[] }[];
    for (const pkg of packed) tarballs.set(pkg.name, join(dir, pkg.filename));
    assert.equal(tarballs.size, 3);
    // One install for the three apps: they sit side by side under it, each with its own package.json ("type")
    // and files, and resolve the packages from the shared node_modules above them, as a monorepo's apps do.
    // The packed protocol sits next to the exporter and bridge that depend on it, so npm never asks the registry
    // for @gravito/* packages.
    const dependencies: Record<string, string> = {};
    for (const name of [...OTEL, 'typescript', '@types/node', '@types/express']) dependencies[name] = pinned(name);
    for (const [name, tarball] of tarballs) dependencies[name] = `file:${tarball}`;
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'pulse-packed-apps', private: true, dependencies }, null, 2));
    await run(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: dir,
      maxBuffer: 16 * 1024 * 1024,
    });
    for (const spec of APPS) {
      const appDir = join(dir, spec.name);
      mkdirSync(appDir);
      for (const [from, to] of Object.entries(spec.files)) copyFileSync(join(FIXTURES, from), join(appDir, to));
      writeFileSync(join(appDir, 'package.json'), JSON.stringify({ name: `pulse-packed-${spec.name}`, private: true, type: spec.type }));
      if (spec.build) {
        writeFileSync(join(appDir, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
        await run(process.execPath, spec.build, { cwd: appDir });
      }
    }
  });

  after(async () => {
    for (const child of children) child.process.kill('SIGKILL');
    client?.disconnect();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('each tarball carries a LICENSE, its sources for the source maps, and passes publint and attw', async () => {
    for (const [name, tarball] of tarballs) {
      const { stdout } = await run('tar', ['-tzf', tarball]);
      const files = stdout.split('\n');
      assert.ok(files.includes('package/LICENSE'), `${name} has a LICENSE`);
      // A source map is of use only with its sources: shipped next to it, or embedded (sourcesContent).
      for (const map of files.filter((f) => f.endsWith('.map'))) {
        const parsed = JSON.parse((await run('tar', ['-xzOf', tarball, map], { maxBuffer: 16 * 1024 * 1024 })).stdout) as {
          sources: string[];
          sourcesContent?: (string | null)[];
        };
        parsed.sources.forEach((source, i) => {
          const shipped = join(map, '..', source).replaceAll('\\', '/');
          assert.ok(
            files.includes(shipped) || typeof parsed.sourcesContent?.[i] === 'string',
            `${map} points to ${source}, which ${name} ships`,
          );
        });
      }
      await run(process.execPath, [binOf('publint', 'publint'), 'run', '--strict', tarball], { cwd: dir });
      // ESM-only packages: CommonJS consumers reach them through require(esm) (Node ≥ 20.19) or import().
      await run(process.execPath, [binOf('@arethetypeswrong/cli', 'attw'), tarball, '--profile', 'esm-only'], {
        cwd: dir,
      });
    }
  });

  for (const spec of APPS) {
    it(`${spec.name}: a heartbeat, a slow entry named by its route template, and an exception`, async () => {
      const service = `packed-${spec.name}`;
      const app = startNode(service, spec.start, join(dir, spec.name), { REDIS_URL: redis.url, OTEL_SERVICE_NAME: service });
      children.push(app);
      const [, port] = await app.waitForLine(/listening on http:\/\/127\.0\.0\.1:(\d+)/, 20_000);
      const context = { context: () => app.recentOutput };
      assert.equal((await fetch(`http://127.0.0.1:${port}/slow/42`)).status, 200);
      assert.equal((await fetch(`http://127.0.0.1:${port}/boom`)).status, 500);

      const heartbeat = await eventually(
        'a heartbeat',
        async () => {
          const [key] = await client.keys(`pulse:server:${service}:*`);
          return key ? parseHeartbeat(await client.get(key)) : undefined;
        },
        10_000,
        context,
      );
      assert.ok(heartbeat.ok && heartbeat.value.meta.app_name === service);
      const slow = await eventually(
        'a slow entry',
        async () => {
          const [row] = await client.xrange(slowKey(service), '-', '+');
          return row ? parseSlowStreamFields(row[1]) : undefined;
        },
        10_000,
        context,
      );
      assert.ok(slow.ok, slow.ok ? '' : slow.error);
      assert.equal(slow.value.name, 'GET /slow/:id');
      assert.equal(slow.value.route, '/slow/:id');
      const error = await eventually(
        'an exception',
        async () => {
          const [member] = await client.zrange(errorsKey(service), '0', '-1');
          return member ? parseErrorMember(member) : undefined;
        },
        10_000,
        context,
      );
      assert.ok(error.ok, error.ok ? '' : error.error);
      assert.equal(error.value.type, 'TypeError');
      assert.equal(error.value.route, '/boom');

      app.process.kill('SIGTERM');
      assert.equal(await exitCode(app), 0, app.recentOutput);
    });
  }

  it('the packed bridge starts from its bin and serves what the apps wrote', async () => {
    const bridge = startNode('pulse-bridge', [join(dir, 'node_modules', '.bin', 'pulse-bridge'), '--port', '0'], dir, {
      REDIS_URL: redis.url,
    });
    children.push(bridge);
    // Its log is JSON lines; the listening line carries the port.
    const listening = await bridge.waitForLine(/pulse-bridge listening/, 15_000);
    const port = JSON.parse(listening.input ?? '{}').port as number;
    const apps = await eventually(
      'the apps served',
      async () => {
        const body = (await (await fetch(`http://127.0.0.1:${port}/api/pulse/servers`)).json()) as { apps: { app: string }[] };
        const names = body.apps.map((a) => a.app).filter((a) => a.startsWith('packed-'));
        return names.length === APPS.length ? names : undefined;
      },
      10_000,
      { context: () => bridge.recentOutput },
    );
    assert.deepEqual(apps.sort(), ['packed-cjs', 'packed-esm', 'packed-ts']);
    bridge.process.kill('SIGTERM');
    assert.equal(await exitCode(bridge), 0);
  });
});
