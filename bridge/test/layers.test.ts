// The bridge's data flows one way: sources (Pulse keys, Zenith's agents, OTLP) → monitor (validate, aggregate,
// history) → outputs (SSE, /metrics, JSON, Zenith's routes and mirror, the page). Its code depends the other way,
// each layer only on the ones before it, and on `lib/` and `redis/` below them all; `config/` and the top-level
// files assemble the whole. This test reads every import of bridge/src (TypeScript's own pre-processor, type-only
// imports included) and fails on one that points up a layer, or on a cycle between two folders.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** Each top folder's layer: a file may import from its own layer and the ones below it. */
const LAYERS: Record<string, number> = { lib: 0, redis: 1, sources: 2, monitor: 3, outputs: 4, config: 5, '.': 6 };

interface Edge {
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

/** Every import between two files of bridge/src, as paths relative to it. */
function importEdges(): Edge[] {
  return sourceFiles(SRC).flatMap((file) =>
    ts
      .preProcessFile(readFileSync(file, 'utf8'), true, true)
      .importedFiles.filter(({ fileName }) => fileName.startsWith('.'))
      .map(({ fileName }) => ({
        from: relative(SRC, file),
        to: relative(SRC, resolve(dirname(file), fileName)).replace(/\.js$/, '.ts'),
      })),
  );
}

/** A file's folder, `depth` levels deep (`.` for the top-level files). */
const folderOf = (path: string, depth: number): string => path.split('/').slice(0, -1).slice(0, depth).join('/') || '.';

describe('the bridge layers', () => {
  const edges = importEdges();

  it('reads the imports (the test sees the code it judges)', () => {
    assert.ok(edges.length > 200, `only ${edges.length} imports found`);
    for (const folder of Object.keys(LAYERS)) {
      assert.ok(
        edges.some((edge) => folderOf(edge.from, 1) === folder),
        `no import from ${folder}/: a layer was renamed without this test`,
      );
    }
  });

  it('has every file in a known layer', () => {
    const unknown = [...new Set(edges.flatMap((edge) => [edge.from, edge.to]).map((path) => folderOf(path, 1)))].filter(
      (folder) => !(folder in LAYERS),
    );
    assert.deepEqual(unknown, [], 'folders with no layer');
  });

  it('depends only on the layers before it: sources never import the monitor or an output, the monitor never an output', () => {
    const upward = edges
      .filter((edge) => (LAYERS[folderOf(edge.to, 1)] ?? 0) > (LAYERS[folderOf(edge.from, 1)] ?? 0))
      .map((edge) => `${edge.from} → ${edge.to}`);
    assert.deepEqual(upward, []);
  });

  it('has no cycle between folders', () => {
    const next = new Map<string, Set<string>>();
    for (const edge of edges) {
      const [from, to] = [folderOf(edge.from, 2), folderOf(edge.to, 2)];
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
    assert.deepEqual(cycles, []);
  });
});
