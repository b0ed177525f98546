#!/usr/bin/env bash
# The exporter's peer ranges cover the OpenTelemetry 3.x line: npm installs the packed exporter next to this folder's
# 3.x set without ERESOLVE, and a strict TypeScript app (ts-app.ts, skipLibCheck off) compiles against them. The
# tests prove it runs; this proves it installs and type-checks as an adopter's app does.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
(cd "$root" && npm pack --silent -w protocol -w exporter --pack-destination "$dir" >/dev/null)
node -e '
  const [root, dir] = process.argv.slice(1);
  const otel3 = require(`${root}/.ci/otel3/package.json`).dependencies;
  const deps = Object.fromEntries(Object.entries(otel3).filter(([name]) => name.startsWith("@opentelemetry/")));
  for (const f of require("node:fs").readdirSync(dir)) {
    if (f.endsWith(".tgz")) deps[f.startsWith("gravito-pulse-node-") ? "@gravito/pulse-node" : "@gravito/pulse-protocol"] = `file:./${f}`;
  }
  // The compiler and Node typings the workspace pins.
  for (const name of ["typescript", "@types/node"]) deps[name] = require(`${root}/node_modules/${name}/package.json`).version;
  require("node:fs").writeFileSync(`${dir}/package.json`, JSON.stringify({ name: "peer-check", private: true, type: "module", dependencies: deps }));
  const compilerOptions = { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, skipLibCheck: false, types: ["node"], noEmit: true };
  require("node:fs").writeFileSync(`${dir}/tsconfig.json`, JSON.stringify({ compilerOptions, files: ["app.ts"] }));
' "$root" "$dir"
cp "$root/.ci/otel3/ts-app.ts" "$dir/app.ts"
(cd "$dir" && npm install --prefer-offline --no-audit --no-fund --loglevel=error >/dev/null)
echo "peer ranges: @gravito/pulse-node installs next to the OpenTelemetry 3.x set"
(cd "$dir" && node node_modules/typescript/bin/tsc -p .)
echo "a strict TypeScript app on the 3.x set compiles against the packed exporter (skipLibCheck off)"
