import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Every `types` target of a package.json `exports` map (conditions nested at any depth). */
function typesEntries(exports: unknown): string[] {
  if (typeof exports !== 'object' || exports === null) return [];
  return Object.entries(exports).flatMap(([key, value]) => (key === 'types' && typeof value === 'string' ? [value] : typesEntries(value)));
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`; `node:fs` stays. */
const moduleOf = (specifier: string): string =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

const IMPORT = /(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g;
const REFERENCE_TYPES = /^\/\/\/\s*<reference\s+types=['"]([^'"]+)['"]/gm;
/** A .d.ts without its comments, whose examples may read like imports. */
const withoutComments = (source: string): string => source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/(?!\/\s*<reference).*$/gm, '');

/**
 * The modules outside the package that its published types name: the .d.ts files reachable from its `exports`
 * (through relative imports), and every bare module they import. These are what a strict consumer (skipLibCheck off)
 * type-checks besides the package itself.
 */
export function publicTypeImports(packageDir: string): { name: string; imports: Set<string> } {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { name: string; exports?: unknown };
  const imports = new Set<string>();
  const seen = new Set<string>();
  const pending = typesEntries(manifest.exports).map((entry) => join(packageDir, entry));
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const source = withoutComments(readFileSync(file, 'utf8'));
    for (const [, types = ''] of source.matchAll(REFERENCE_TYPES)) imports.add(types === 'node' ? 'node:' : moduleOf(types));
    for (const [, specifier = ''] of source.matchAll(IMPORT)) {
      if (!specifier.startsWith('.')) {
        imports.add(moduleOf(specifier));
        continue;
      }
      const target = join(dirname(file), specifier.replace(/\.js$/, '.d.ts'));
      if (!existsSync(target)) throw new Error(`${file} imports ${specifier}, which the package does not ship`);
      pending.push(target);
    }
  }
  return { name: manifest.name, imports };
}
