import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** One import between two files of a source tree, as paths relative to its root (`.ts`, as written on disk). */
export interface ImportEdge {
  from: string;
  to: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative import of the `.ts` files under `root`, type-only ones included (TypeScript's own pre-processor). */
export function importEdges(root: string): ImportEdge[] {
  return sourceFiles(root).flatMap((file) =>
    ts
      .preProcessFile(readFileSync(file, 'utf8'), true, true)
      .importedFiles.filter(({ fileName }) => fileName.startsWith('.'))
      .map(({ fileName }) => ({
        from: relative(root, file),
        to: relative(root, resolve(dirname(file), fileName)).replace(/\.js$/, '.ts'),
      })),
  );
}

/** A file's folder, `depth` levels deep (`.` for the files at the root). */
export const folderOf = (path: string, depth: number): string => path.split('/').slice(0, -1).slice(0, depth).join('/') || '.';

/**
 * The imports that point up a layer: from a folder to one whose layer (`layers`, by top folder) is higher. A folder
 * with no layer has none to compare, so any import from or to it is listed too.
 */
export function upwardImports(edges: readonly ImportEdge[], layers: Readonly<Record<string, number>>): string[] {
  const layerOf = (path: string): number | undefined => layers[folderOf(path, 1)];
  return edges
    .filter((edge) => {
      const [from, to] = [layerOf(edge.from), layerOf(edge.to)];
      return from === undefined || to === undefined || to > from;
    })
    .map((edge) => `${edge.from} → ${edge.to}`);
}

/** The cycles between folders `depth` levels deep, each as `a → b → … → a`. */
export function folderCycles(edges: readonly ImportEdge[], depth: number): string[] {
  const next = new Map<string, Set<string>>();
  for (const edge of edges) {
    const [from, to] = [folderOf(edge.from, depth), folderOf(edge.to, depth)];
    if (from !== to) next.set(from, (next.get(from) ?? new Set()).add(to));
  }
  // Depth-first: a folder met again while still on the path closes a cycle.
  const done = new Set<string>();
  const cycles: string[] = [];
  const visit = (folder: string, path: string[]): void => {
    if (path.includes(folder)) {
      cycles.push([...path.slice(path.indexOf(folder)), folder].join(' → '));
      return;
    }
    if (done.has(folder)) return;
    for (const to of next.get(folder) ?? []) visit(to, [...path, folder]);
    done.add(folder);
  };
  for (const folder of next.keys()) visit(folder, []);
  return cycles;
}
