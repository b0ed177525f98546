// The OTLP receiver's `.proto` files are opentelemetry-proto's, unchanged: each vendored file's git blob id is the one
// PROVENANCE.json records for the tag (the ids `git ls-tree <tag>` gives upstream), and every file that those
// `.proto` files import is vendored too.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadOtlpSchema } from '../src/sources/otlp/proto-schema.js';

const PROTO_DIR = fileURLToPath(new URL('../proto/', import.meta.url));
const provenance = JSON.parse(readFileSync(join(PROTO_DIR, 'PROVENANCE.json'), 'utf8'));

/** Git's id of a file's content: SHA-1 of `blob <length>\0<content>`. */
const blobId = (content: Buffer) => createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');

function vendoredFiles(dir = PROTO_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return vendoredFiles(path);
    return [relative(PROTO_DIR, path)];
  });
}

describe('the vendored opentelemetry-proto files', () => {
  it('come from a tagged release of open-telemetry/opentelemetry-proto, with its LICENSE', () => {
    assert.equal(provenance.repository, 'https://github.com/open-telemetry/opentelemetry-proto');
    assert.match(provenance.tag, /^v\d+\.\d+\.\d+$/);
    assert.match(provenance.commit, /^[0-9a-f]{40}$/);
    assert.match(readFileSync(join(PROTO_DIR, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0/);
  });

  it('are byte for byte the files of that tag, and nothing else is there', () => {
    const files = vendoredFiles().filter((f) => f !== 'PROVENANCE.json' && f !== 'vendor.mjs');
    assert.deepEqual(files.sort(), Object.keys(provenance.blobs).sort());
    for (const file of files) assert.equal(blobId(readFileSync(join(PROTO_DIR, file))), provenance.blobs[file], file);
  });

  it('import only one another, and compile to the messages the receiver decodes and answers with', () => {
    for (const file of Object.keys(provenance.blobs).filter((f) => f.endsWith('.proto'))) {
      const imports = [...readFileSync(join(PROTO_DIR, file), 'utf8').matchAll(/^import "([^"]+)";/gm)].map((m) => m[1]);
      for (const imported of imports) assert.ok(imported && provenance.blobs[imported], `${file} imports ${imported}`);
    }
    const schema = loadOtlpSchema();
    // partial_success is opentelemetry-proto's own since 0.19 (no longer added by the receiver).
    assert.deepEqual(Object.keys(schema.tracesResponse.fields), ['partialSuccess']);
    assert.deepEqual(Object.keys(schema.metricsResponse.fields), ['partialSuccess']);
  });
});
