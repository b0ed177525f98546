#!/usr/bin/env bash
# The exporter's peer ranges cover the OpenTelemetry 3.x line: npm resolves the packed exporter next to this
# folder's 3.x set without ERESOLVE (a dry run: nothing is installed). The tests prove it runs; this proves it installs.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
(cd "$root" && npm pack --silent -w protocol -w exporter --pack-destination "$dir" >/dev/null)
node -e '
  const [otel3, dir] = process.argv.slice(1);
  const deps = Object.fromEntries(Object.entries(require(otel3).dependencies).filter(([name]) => name.startsWith("@opentelemetry/")));
  for (const f of require("node:fs").readdirSync(dir)) {
    if (f.endsWith(".tgz")) deps[f.startsWith("gravito-pulse-node-") ? "@gravito/pulse-node" : "@gravito/pulse-protocol"] = `file:./${f}`;
  }
  require("node:fs").writeFileSync(`${dir}/package.json`, JSON.stringify({ name: "peer-check", private: true, dependencies: deps }));
' "$root/.ci/otel3/package.json" "$dir"
(cd "$dir" && npm install --dry-run --no-audit --no-fund --loglevel=error >/dev/null)
echo "peer ranges: @gravito/pulse-node installs next to the OpenTelemetry 3.x set"
