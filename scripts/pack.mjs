// `npm run pack`: the published packages as tarballs in packed/, under names without their version
// (gravito-pulse-node.tgz …), so that the README's install line from a clone stays the same from one release to
// the next. Until the packages are on the npm registry, this is how an app installs them.
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const OUT = join(ROOT, 'packed');
const WORKSPACES = ['protocol', 'exporter', 'bridge'];
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT);
const packed = JSON.parse(
  execFileSync(npm, ['pack', '--json', '--pack-destination', OUT, ...WORKSPACES.flatMap((w) => ['-w', w])], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }),
);
for (const { filename } of packed) {
  renameSync(join(OUT, filename), join(OUT, filename.replace(/-\d+\.\d+\.\d+(?:-[\w.]+)?\.tgz$/, '.tgz')));
}
console.log(`packed/: ${packed.map((p) => `${p.name}@${p.version}`).join(', ')}`);
