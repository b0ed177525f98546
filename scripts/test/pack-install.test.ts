// Packages that install, and a README that works: the README's "Add Pulse to an app" steps are run as they are
// written (its `<!-- readme-step: … -->` blocks), in folders outside the workspace, as a new user runs them:
// `npm run pack` writes the tarballs, the README's `npm i` line installs them next to OpenTelemetry with no lockfile
// (the newest versions the ranges allow, as a user's install resolves them), its zero-code lines start an ES modules
// and a CommonJS app, and its bridge lines install and start the packed bridge, whose page shows what the apps wrote.
// Besides, a strict TypeScript app without skipLibCheck compiles the README's programmatic setup against every
// published .d.ts, and the tarballs are linted with publint and @arethetypeswrong/cli.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { errorsKey, parseErrorMember, parseHeartbeat, parseHeartbeatKey, parseSlowStreamFields, slowKey } from '@gravito/pulse-protocol';
import { eventually, launchChromium, run, skipWithoutChromium, startRedis, type TestRedis } from '@gravito/pulse-testkit';
import type { Redis } from 'ioredis';
import { OTLP_APP_DIR } from '../../bridge/test/fixtures/otlp-app/launch.js';
import { Child } from '../demo/processes.js';
import { ROOT } from '../demo/stack.js';
import { publicTypeImports } from './public-types.js';

const FIXTURES = join(ROOT, 'scripts', 'test', 'fixtures', 'packed-apps');
const PACKED = join(ROOT, 'packed');

/** The workspace's own (lockfile-pinned) version of a package. */
const pinned = (name: string): string =>
  JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version as string;
/** A devDependency's CLI script, run with this Node (no npx, no network). */
const binOf = (name: string, bin: string): string => {
  const path = join(ROOT, 'node_modules', name, 'package.json');
  const json = JSON.parse(readFileSync(path, 'utf8'));
  return join(path, '..', typeof json.bin === 'string' ? json.bin : json.bin[bin]);
};

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
/**
 * The command lines of the README's block marked `<!-- readme-step: name -->`, without comments and blank lines, a
 * line that ends in a backslash joined to the next.
 */
function readmeStep(name: string): string[] {
  return readmeBlock(README, name, 'sh')
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** The code of a README's block marked `<!-- readme-step: name -->`, in `language`. */
function readmeBlock(readme: string, name: string, language: string): string {
  const block = readme.match(new RegExp(`<!-- readme-step: ${name} -->\\s*\`\`\`${language}\\n([\\s\\S]*?)\`\`\``))?.[1];
  assert.ok(block, `the README has a "readme-step: ${name}" block`);
  return block;
}

/**
 * `A=1 B='x y' node --import x app.mjs` → its environment and its argv. The README's lines quote only with single
 * quotes, which a shell takes as they are.
 */
function parseCommandLine(line: string): { env: Record<string, string>; argv: string[] } {
  const words = (line.match(/(?:[^\s']+|'[^']*')+/g) ?? []).map((word) => word.replaceAll("'", ''));
  const env: Record<string, string> = {};
  for (let word = words[0]; word !== undefined && /^[A-Z_][A-Z0-9_]*=/.test(word); word = words[0]) {
    const at = word.indexOf('=');
    env[word.slice(0, at)] = word.slice(at + 1);
    words.shift();
  }
  return { env, argv: words };
}

/**
 * Third-party modules that each package's published types may name. A strict consumer type-checks every .d.ts they
 * reach, so each one is a dependency whose next release can break that consumer's build: the list is kept short on
 * purpose, and a new entry is a decision (node: built-ins are always allowed).
 */
const PUBLIC_TYPE_DEPENDENCIES: Record<string, string[]> = {
  // The schemas are TypeBox objects, and the types are derived from them.
  '@gravito/pulse-protocol': ['@sinclair/typebox'],
  // What an app hands to the SDK (metric reader, span processor, sampler, resource), and its own ioredis client or
  // options; the package depends on @types/redis-errors for ioredis's typings (docs/upstream/ioredis-6.1-types.md).
  '@gravito/pulse-node': [
    '@gravito/pulse-protocol',
    '@opentelemetry/api',
    '@opentelemetry/core',
    '@opentelemetry/resources',
    '@opentelemetry/sdk-metrics',
    'ioredis',
  ],
  // createBridge's options take a pino logger; its Redis, HTTP and metrics internals stay out of the public types.
  '@gravito/pulse-bridge': ['@gravito/pulse-protocol', 'pino'],
};

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

interface Started {
  child: Child;
  port: string;
}

describe('the README installs packed packages into fresh apps, and they run', () => {
  let dir: string;
  let redis: TestRedis;
  let client: Redis;
  let sub: (line: string) => string;
  const children: Child[] = [];
  const apps = new Map<string, Started>();

  /** A process from a README line (or any argv), in `cwd`, its output kept for failure messages. */
  const start = (name: string, line: string, cwd: string, env: Record<string, string> = {}): Child => {
    const parsed = parseCommandLine(sub(line));
    const [command = '', ...args] = parsed.argv;
    const child = new Child(name, command === 'node' ? process.execPath : command, args, {
      cwd,
      env: { ...process.env, ...parsed.env, ...env },
    });
    children.push(child);
    return child;
  };
  /** The README's shell lines, run by bash in `cwd` as a user pastes them. */
  const shell = (lines: string[], cwd: string) => run('bash', ['-euo', 'pipefail', '-c', lines.map(sub).join('\n')], { cwd });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pulse-pack-'));
    redis = await startRedis();
    client = redis.client();
    // The README's paths and Redis, as this test has them.
    sub = (line) => line.replaceAll('~/gravito-pulse', ROOT).replaceAll('redis://127.0.0.1:6379', redis.url);

    // 1. pack: `npm ci && npm run pack` in the clone. The workspace is installed already (this test runs in it),
    // and a second `npm ci` would replace the node_modules it runs from: only the pack runs.
    assert.deepEqual(readmeStep('pack'), ['npm ci && npm run pack']);
    await shell(['npm run pack'], ROOT);
    assert.deepEqual(readdirSync(PACKED).sort(), ['gravito-pulse-bridge.tgz', 'gravito-pulse-node.tgz', 'gravito-pulse-protocol.tgz']);

    // 2. install: the README's line in a new app folder (the apps sit in subfolders and resolve from it), then
    // what the apps themselves bring: express, and the TypeScript app's compiler and typings, and the bridge,
    // whose types the TypeScript app checks too.
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'pulse-packed-apps', private: true }));
    await shell(readmeStep('install'), dir);
    const own = ['express', '@types/express', 'typescript', '@types/node', '@types/bun'].map((name) => `${name}@${pinned(name)}`);
    own.push(join(PACKED, 'gravito-pulse-bridge.tgz'));
    await run('npm', ['i', '--no-audit', '--no-fund', '--loglevel=error', ...own], { cwd: dir });
  });

  after(async () => {
    for (const child of children) {
      // npx runs the bridge as its own child: the whole process group goes (the group outlives its leader).
      try {
        if (child.process.pid) process.kill(-child.process.pid, 'SIGKILL');
      } catch {
        // ESRCH: the group has ended already.
      }
    }
    client?.disconnect();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('each tarball carries a LICENSE, its sources for the source maps, passes publint and attw, and names only the types it must', async () => {
    for (const file of readdirSync(PACKED)) {
      const tarball = join(PACKED, file);
      const files = (await run('tar', ['-tzf', tarball])).stdout.split('\n');
      assert.ok(files.includes('package/LICENSE'), `${file} has a LICENSE`);
      // A source map is of use only with its sources: shipped next to it, or embedded (sourcesContent).
      for (const map of files.filter((f) => f.endsWith('.map'))) {
        const parsed = JSON.parse((await run('tar', ['-xzOf', tarball, map])).stdout) as {
          sources: string[];
          sourcesContent?: (string | null)[];
        };
        parsed.sources.forEach((source, i) => {
          const shipped = join(map, '..', source).replaceAll('\\', '/');
          assert.ok(
            files.includes(shipped) || typeof parsed.sourcesContent?.[i] === 'string',
            `${map} points to ${source}, which ${file} ships`,
          );
        });
      }
      await run(process.execPath, [binOf('publint', 'publint'), 'run', '--strict', tarball], { cwd: dir });
      // ESM-only packages: CommonJS consumers reach them through require(esm) (Node ≥ 20.19) or import().
      await run(process.execPath, [binOf('@arethetypeswrong/cli', 'attw'), tarball, '--profile', 'esm-only'], { cwd: dir });

      const unpacked = join(dir, 'unpacked', file);
      mkdirSync(unpacked, { recursive: true });
      await run('tar', ['-xzf', tarball, '-C', unpacked]);
      const { name, imports } = publicTypeImports(join(unpacked, 'package'));
      const allowed = PUBLIC_TYPE_DEPENDENCIES[name];
      assert.ok(allowed, `${name} has a list of the dependencies its types may name`);
      assert.deepEqual(
        [...imports].filter((module) => !module.startsWith('node:') && !allowed.includes(module)),
        [],
        `${name}'s published types name only ${allowed.join(', ')}`,
      );
    }
  });

  const zeroCode = readmeStep('run');
  const APP_FILES: Record<string, string> = { 'app.mjs': 'esm-app.mjs', 'app.cjs': 'cjs-app.cjs' };
  for (const line of zeroCode) {
    const appFile = line.split(' ').at(-1) ?? '';
    it(`the README's zero-code line runs an app with no Pulse code: node … ${appFile}`, async () => {
      const fixture = APP_FILES[appFile];
      assert.ok(fixture, `a fixture for ${appFile}`);
      const appDir = join(dir, appFile.replace('.', '-'));
      mkdirSync(appDir);
      copyFileSync(join(FIXTURES, fixture), join(appDir, appFile));
      const app = start(appFile, line, appDir);
      const [, port = ''] = await app.waitForLine(/listening on http:\/\/127\.0\.0\.1:(\d+)/, 20_000);
      apps.set(appFile, { child: app, port });
      assert.equal((await fetch(`http://127.0.0.1:${port}/slow/42`)).status, 200);
      assert.equal((await fetch(`http://127.0.0.1:${port}/boom`)).status, 500);
      await assertRecorded(parseCommandLine(line).env.OTEL_SERVICE_NAME ?? '', app, { pid: app.process.pid });
    });
  }

  it('a strict TypeScript app compiles the programmatic setup against every published .d.ts, and runs', async () => {
    const appDir = join(dir, 'ts');
    mkdirSync(appDir);
    copyFileSync(join(FIXTURES, 'ts-app.ts'), join(appDir, 'app.ts'));
    writeFileSync(join(appDir, 'package.json'), JSON.stringify({ name: 'pulse-packed-ts', private: true, type: 'module' }));
    writeFileSync(join(appDir, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
    await run(process.execPath, [join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], { cwd: appDir });
    const app = start('packed-ts', `REDIS_URL=redis://127.0.0.1:6379 OTEL_SERVICE_NAME=packed-ts node app.js`, appDir);
    const [, port = ''] = await app.waitForLine(/listening on http:\/\/127\.0\.0\.1:(\d+)/, 20_000);
    assert.equal((await fetch(`http://127.0.0.1:${port}/slow/42`)).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${port}/boom`)).status, 500);
    await assertRecorded('packed-ts', app, { pid: app.process.pid });
    app.process.kill('SIGTERM');
    assert.equal(await exitCode(app), 0, app.recentOutput);
  });

  it("exporter/README's Bun setup compiles in a strict Bun app against the published .d.ts and Bun's types", async () => {
    const appDir = join(dir, 'bun');
    mkdirSync(appDir);
    const readme = readFileSync(join(ROOT, 'exporter', 'README.md'), 'utf8');
    // What the snippet leaves to the app: its own data and router.
    const app = `declare function getOrder(id: string): { id: string };
declare function handleOther(request: Request): Response;
declare const myRouter: { match(request: Request): { template: string } | undefined };
${readmeBlock(readme, 'bun', 'ts')}`;
    writeFileSync(join(appDir, 'app.ts'), app);
    writeFileSync(join(appDir, 'package.json'), JSON.stringify({ name: 'pulse-packed-bun', private: true, type: 'module' }));
    // skipLibCheck: Bun's own typings do not compile against the @types/node these apps pin (Node 20's); every
    // published .d.ts of ours is checked by the strict app above. The snippet itself is checked here, strict.
    const compilerOptions = { ...TSCONFIG.compilerOptions, types: ['bun'], noEmit: true, skipLibCheck: true };
    const tsconfig = { compilerOptions, files: ['app.ts'] };
    writeFileSync(join(appDir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    await run(process.execPath, [join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], { cwd: appDir });
  });

  /** The README's bridge install line run once, in a folder of its own; the bridge's start line. */
  let bridgeInstall: Promise<{ bridgeDir: string; startLine: string }> | undefined;
  const installBridge = () => {
    bridgeInstall ??= (async () => {
      // A folder of its own: with no package.json, npm would install into the apps' folder above it.
      const bridgeDir = join(dir, 'bridge');
      mkdirSync(bridgeDir);
      writeFileSync(join(bridgeDir, 'package.json'), JSON.stringify({ name: 'pulse-bridge-service', private: true }));
      const [install, startLine, ...rest] = readmeStep('see');
      assert.ok(install && startLine && rest.length === 0, 'an install line and a start line');
      await run('bash', ['-euo', 'pipefail', '-c', sub(install)], { cwd: bridgeDir, env: { ...process.env, PULSE: ROOT } });
      return { bridgeDir, startLine };
    })();
    return bridgeInstall;
  };
  /** A bridge started from a README line as written; only the port differs (any free one, not 9464). Its URL. */
  const startBridge = async (line: string, bridgeDir: string): Promise<{ bridge: Child; base: string }> => {
    const bridge = start('pulse-bridge', line, bridgeDir, { PULSE_BRIDGE_PORT: '0' });
    const listening = await bridge.waitForLine(/pulse-bridge listening/, 30_000);
    return { bridge, base: `http://127.0.0.1:${JSON.parse(listening.input ?? '{}').port as number}` };
  };
  /** A clean stop, as a terminal's Ctrl-C does it: SIGINT to the whole process group (npx, its shell, the bridge). */
  const stopCleanly = async (child: Child) => {
    if (child.process.pid) process.kill(-child.process.pid, 'SIGINT');
    await exitCode(child);
    assert.doesNotMatch(child.recentOutput, /"level":(?:40|50|60)/, 'no warning or error on the way');
  };

  it("the README's bridge lines install and start the packed bridge, and its page shows what the apps wrote", async (t) => {
    const { bridgeDir, startLine } = await installBridge();
    const { bridge, base } = await startBridge(startLine, bridgeDir);
    const api = async <T>(path: string): Promise<T> => (await (await fetch(`${base}${path}`)).json()) as T;
    const context = { context: () => bridge.recentOutput };

    const names = await eventually(
      'the apps served',
      async () => {
        const body = await api<{ apps: { app: string; servers: unknown[] }[] }>('/api/pulse/servers');
        const checkout = body.apps.find((a) => a.app === 'checkout');
        return checkout?.servers.length === zeroCode.length && body.apps.some((a) => a.app === 'packed-ts')
          ? body.apps.map((a) => a.app).sort()
          : undefined;
      },
      15_000,
      context,
    );
    assert.deepEqual(names, ['checkout', 'packed-ts']);
    const slow = await api<{ entries: { entry: { name: string } }[] }>('/api/pulse/slow?app=checkout');
    assert.deepEqual(
      slow.entries.map((e) => e.entry.name),
      zeroCode.map(() => 'GET /slow/:id'),
    );
    const errors = await api<{ groups: { type: string; count: number }[] }>('/api/pulse/errors?app=checkout');
    assert.equal(
      errors.groups.filter((g) => g.type === 'TypeError').reduce((sum, g) => sum + g.count, 0),
      zeroCode.length,
      JSON.stringify(errors),
    );

    await t.test('the page', { skip: skipWithoutChromium() }, async () => {
      const browser = await launchChromium();
      try {
        const { page, log } = await browser.open();
        await page.goto(`${base}/`);
        const cardHas = (card: string, text: string) => async () =>
          ((await page.locator(`#app-checkout .card.${card}`).textContent()) ?? '').includes(text) || undefined;
        await eventually('the slow request on the page', cardHas('slow', 'GET /slow/:id'), 15_000, context);
        await eventually('the exception on the page', cardHas('errors', 'TypeError'), 15_000, context);
        assert.equal(await page.locator('#app-checkout .card.server').count(), zeroCode.length);
        assert.deepEqual(log.errors, []);
      } finally {
        await browser.close();
      }
    });

    await stopCleanly(bridge);
  });

  it("the README's OTLP lines: the packed bridge takes an OpenTelemetry-only app's exports, behind its token", async () => {
    const { bridgeDir } = await installBridge();
    const [bridgeLine, appLine, ...rest] = readmeStep('otlp');
    assert.ok(bridgeLine && appLine && rest.length === 0, "the bridge's line and the app's");
    const { bridge, base } = await startBridge(bridgeLine, bridgeDir);
    const { env } = parseCommandLine(bridgeLine);
    const auth = { authorization: `Bearer ${env.PULSE_BRIDGE_TOKEN}` };
    const refused = await fetch(`${base}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: '' });
    assert.equal(refused.status, 401, 'an export without the token is refused');
    // The app's line as written, its endpoint the bridge's port; `your-app` is an app with OpenTelemetry's SDK, its
    // OTLP exporters and host-metrics only (bridge/test/fixtures/otlp-app).
    const app = start('otlp-app', appLine.replace('http://127.0.0.1:9464', base).replace(/your-app$/, 'node app.mjs'), OTLP_APP_DIR);
    await app.waitForLine(/^ready$/, 20_000);
    const service = parseCommandLine(appLine).env.OTEL_SERVICE_NAME;
    const context = { context: () => `${bridge.recentOutput}\n${app.recentOutput}` };
    const api = async <T>(path: string): Promise<T> => (await (await fetch(`${base}${path}`, { headers: auth })).json()) as T;
    // The zero-code apps above wrote `GET /slow/:id` and TypeErrors at `/boom` under the same name: theirs are left out.
    await eventually(
      'its slow request, query and outgoing call, and its exception',
      async () => {
        const { entries } = await api<{ entries: { entry: { name: string; kind: string } }[] }>(`/api/pulse/slow?app=${service}&limit=100`);
        const kinds = new Set(entries.filter((e) => e.entry.name !== 'GET /slow/:id').map((e) => e.entry.kind));
        const errors = await api<{ groups: { sample: { message: string } }[] }>(`/api/pulse/errors?app=${service}`);
        const declined = errors.groups.some((group) => group.sample.message.includes('declined'));
        return (declined && ['request', 'query', 'outgoing'].every((kind) => kinds.has(kind))) || undefined;
      },
      20_000,
      context,
    );
    // Its heartbeat: the first export of host metrics, after OTEL_METRIC_EXPORT_INTERVAL.
    await eventually(
      'its server, from its host metrics',
      async () => {
        const { apps } = await api<{ apps: { app: string; servers: { heartbeat: { meta: { sdk?: string } } }[] }[] }>('/api/pulse/servers');
        return apps.find((a) => a.app === service)?.servers.some((s) => s.heartbeat.meta.sdk?.startsWith('otlp ')) || undefined;
      },
      Number(parseCommandLine(appLine).env.OTEL_METRIC_EXPORT_INTERVAL) + 15_000,
      context,
    );
    await app.stop();
    await stopCleanly(bridge);
  });

  /** A heartbeat of the app's process, a slow entry named by its route template, and its exception, in Redis. */
  async function assertRecorded(service: string, app: Child, process: { pid: number | undefined }): Promise<void> {
    const context = { context: () => app.recentOutput };
    // The app's own server: the heartbeat whose process is the one started.
    const serverId = await eventually(
      `a heartbeat of ${app.name}`,
      async () => {
        for (const key of await client.keys(`pulse:server:${service}:*`)) {
          const parsed = parseHeartbeat(await client.get(key));
          if (parsed.ok && parsed.value.process.pid === process.pid && parsed.value.meta.app_name === service) {
            return parseHeartbeatKey(key)?.id;
          }
        }
        return undefined;
      },
      15_000,
      context,
    );
    const slow = await eventually(
      `a slow entry of ${app.name}`,
      async () =>
        (await client.xrange(slowKey(service), '-', '+'))
          .map(([, fields]) => parseSlowStreamFields(fields))
          .find((entry) => entry.ok && entry.value.server_id === serverId),
      10_000,
      context,
    );
    assert.ok(slow.ok, slow.ok ? '' : slow.error);
    assert.equal(slow.value.name, 'GET /slow/:id');
    assert.equal(slow.value.route, '/slow/:id');
    const error = await eventually(
      `an exception of ${app.name}`,
      async () =>
        (await client.zrange(errorsKey(service), '0', '-1'))
          .map((member) => parseErrorMember(member))
          .find((entry) => entry.ok && entry.value.server_id === serverId),
      10_000,
      context,
    );
    assert.ok(error.ok, error.ok ? '' : error.error);
    assert.equal(error.value.type, 'TypeError');
    assert.equal(error.value.route, '/boom');
  }
});

/** Resolves with the exit code (null after a signal) when the process exits. */
const exitCode = (child: Child): Promise<number | null> =>
  child.running ? new Promise((resolve) => child.onExit((code) => resolve(code))) : Promise.resolve(child.process.exitCode);
