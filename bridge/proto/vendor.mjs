// Vendors opentelemetry-proto's `.proto` files that the OTLP receiver compiles, at a tagged release, with the
// project's LICENSE, and records where they came from (PROVENANCE.json: the tag, its commit, each file's git blob id).
// Run it against a clone of https://github.com/open-telemetry/opentelemetry-proto to move to another tag:
//   node bridge/proto/vendor.mjs /path/to/opentelemetry-proto v1.11.0
// bridge/test/otlp-proto-provenance.test.ts checks the vendored files against PROVENANCE.json's blob ids, which anyone
// can compare with `git ls-tree <tag>` upstream.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FILES = [
  'LICENSE',
  'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  'opentelemetry/proto/common/v1/common.proto',
  'opentelemetry/proto/metrics/v1/metrics.proto',
  'opentelemetry/proto/resource/v1/resource.proto',
  'opentelemetry/proto/trace/v1/trace.proto',
];

const [checkout, tag] = process.argv.slice(2);
if (!checkout || !tag) {
  process.stderr.write('usage: node bridge/proto/vendor.mjs <opentelemetry-proto clone> <tag>\n');
  process.exit(2);
}
const git = (...args) => execFileSync('git', ['-C', checkout, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
const here = dirname(fileURLToPath(import.meta.url));
const commit = git('rev-parse', `${tag}^{commit}`).trim();
const blobs = {};
for (const line of git('ls-tree', '-r', tag, '--', ...FILES)
  .trim()
  .split('\n')) {
  const [meta, path] = line.split('\t');
  blobs[path] = meta.split(' ')[2];
}
for (const path of FILES) {
  if (!blobs[path]) throw new Error(`${path} is not in ${tag}`);
  mkdirSync(dirname(join(here, path)), { recursive: true });
  writeFileSync(join(here, path), execFileSync('git', ['-C', checkout, 'cat-file', 'blob', blobs[path]]));
}
const provenance = { repository: 'https://github.com/open-telemetry/opentelemetry-proto', tag, commit, blobs };
writeFileSync(join(here, 'PROVENANCE.json'), `${JSON.stringify(provenance, null, 2)}\n`);
process.stdout.write(`vendored ${FILES.length} files of opentelemetry-proto ${tag} (${commit})\n`);
