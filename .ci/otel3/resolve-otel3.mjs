// Loaded with `--import` (through NODE_OPTIONS, so that every child process the tests start gets it too): every
// `@opentelemetry/*` import, from the workspace's sources, tests and examples, resolves to this folder's 3.x
// install instead of the workspace's 2.x one. ESM resolution ignores NODE_PATH, and an overlay of node_modules
// would touch the workspace; a resolve hook does neither. Needs Node >= 22.15 (module.registerHooks), which the
// 3.x line needs anyway.
import { registerHooks } from 'node:module';

const HERE = new URL('./package.json', import.meta.url).href;
const RENAMED = {
  '@opentelemetry/sdk-trace-base': new URL('./shims/sdk-trace-base.mjs', import.meta.url).href,
  '@opentelemetry/sdk-trace-node': new URL('./shims/sdk-trace-node.mjs', import.meta.url).href,
};

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (!specifier.startsWith('@opentelemetry/')) return nextResolve(specifier, context);
    const shim = RENAMED[specifier];
    if (shim !== undefined) return { url: shim, format: 'module', shortCircuit: true };
    return nextResolve(specifier, { ...context, parentURL: HERE });
  },
});
