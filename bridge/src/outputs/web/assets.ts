import { readFileSync } from 'node:fs';

/** One built file of the page, held in memory: the bundle is small, and serving it never touches the disk. */
export interface WebAsset {
  body: Buffer;
  contentType: string;
}

/** The built page: the hashed names it links, and every file under `/assets/`. */
export interface WebAssets {
  script: string;
  style: string;
  files: ReadonlyMap<string, WebAsset>;
}

/** Where `npm run build` (bridge/scripts/build-web.mjs) writes the bundle, from src/outputs/web or dist/outputs/web alike. */
export const DEFAULT_WEB_ROOT = new URL('../../../dist/public/', import.meta.url);

const HASHED_NAME = /^[A-Za-z0-9_-]+\.(js|css)(\.map)?$/;
const CONTENT_TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  map: 'application/json; charset=utf-8',
};

function asset(root: URL, name: string): WebAsset {
  if (!HASHED_NAME.test(name)) throw new Error(`unexpected asset name in manifest.json: ${JSON.stringify(name)}`);
  const extension = name.slice(name.lastIndexOf('.') + 1);
  return { body: readFileSync(new URL(`assets/${name}`, root)), contentType: CONTENT_TYPES[extension] ?? 'application/octet-stream' };
}

/**
 * Reads the manifest and the files it names (and their source maps). Throws when the page was not built, so that
 * the caller can log it once and answer 503 on the page's routes.
 */
export function loadWebAssets(root: URL = DEFAULT_WEB_ROOT): WebAssets {
  const manifest = JSON.parse(readFileSync(new URL('manifest.json', root), 'utf8')) as { script?: unknown; style?: unknown };
  const { script, style } = manifest;
  if (typeof script !== 'string' || typeof style !== 'string') throw new Error('manifest.json lacks script or style');
  const files = new Map<string, WebAsset>();
  for (const name of [script, style]) {
    files.set(name, asset(root, name));
    try {
      files.set(`${name}.map`, asset(root, `${name}.map`));
    } catch {
      // a build without source maps is fine
    }
  }
  return { script, style, files };
}
