// Bundles the Pulse page (bridge/web/src) into bridge/dist/public: content-hashed file names, so that the bridge
// can serve them as immutable, and a manifest.json that tells the bridge which names the page links.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'public');

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { app: 'web/src/main.ts', style: 'web/src/styles.css' },
  outdir: join(outdir, 'assets'),
  entryNames: '[name]-[hash]',
  bundle: true,
  minify: process.env.PULSE_WEB_MINIFY !== '0',
  sourcemap: 'linked',
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});

const manifest = {};
for (const [file, output] of Object.entries(result.metafile.outputs)) {
  if (file.endsWith('.map')) continue;
  const entry = output.entryPoint?.endsWith('.css') ? 'style' : 'script';
  manifest[entry] = basename(file);
}
if (!manifest.script || !manifest.style) throw new Error(`build-web: expected a script and a style, got ${JSON.stringify(manifest)}`);
await writeFile(join(outdir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
