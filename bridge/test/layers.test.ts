// The bridge's data flows one way: sources (Pulse keys, Zenith's agents, OTLP) → monitor (validate, aggregate,
// history) → outputs (SSE, /metrics, JSON, Zenith's routes and mirror, the page). Its code depends the other way,
// each layer only on the ones before it, and on `lib/` and `redis/` below them all; `config/` and the top-level
// files assemble the whole. This test reads every import of bridge/src (type-only ones included) and fails on one
// that points up a layer or out of the known folders, or on a cycle between folders.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { folderCycles, folderOf, importEdges, upwardImports } from '@gravito/pulse-testkit/import-graph';

/** Each top folder's layer: a file may import from its own layer and the ones below it. */
const LAYERS: Record<string, number> = { lib: 0, redis: 1, sources: 2, monitor: 3, outputs: 4, config: 5, '.': 6 };

describe('the bridge layers', () => {
  const edges = importEdges(fileURLToPath(new URL('../src/', import.meta.url)));

  it('reads the imports of every layer (the test sees the code it judges)', () => {
    assert.ok(edges.length > 200, `only ${edges.length} imports found`);
    for (const folder of Object.keys(LAYERS)) {
      assert.ok(
        edges.some((edge) => folderOf(edge.from, 1) === folder),
        `no import from ${folder}/: a layer was renamed without this test`,
      );
    }
  });

  it('depends only on the layers before it: sources never import the monitor or an output, the monitor never an output', () => {
    assert.deepEqual(upwardImports(edges, LAYERS), []);
  });

  it('has no cycle between folders', () => {
    assert.deepEqual(folderCycles(edges, 2), []);
  });
});
