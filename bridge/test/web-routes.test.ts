import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import express from 'express';
import { pino } from 'pino';
import { loadWebAssets } from '../src/outputs/web/assets.js';
import { webRoutes } from '../src/outputs/web/routes.js';

async function serve(router: express.Router): Promise<{ url: string; close: () => void }> {
  const app = express();
  app.use(router);
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

describe('the page routes', () => {
  it('answer 503 with a hint, logged once, when the page was not built; the rest of the bridge is unaffected', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const { url, close } = await serve(
      webRoutes(log, () => {
        throw new Error('ENOENT: manifest.json');
      }),
    );
    try {
      const res = await fetch(`${url}/`);
      assert.equal(res.status, 503);
      assert.match(await res.text(), /npm run build/);
      assert.equal((await fetch(`${url}/assets/app-X.js`)).status, 404);
      assert.equal(lines.length, 1);
      assert.match(lines[0] ?? '', /pulse page not built/);
    } finally {
      close();
    }
  });

  it('refuse a manifest that names a file outside the assets folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-web-'));
    try {
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ script: '../../package.json', style: 'style-A.css' }));
      assert.throws(() => loadWebAssets(pathToFileURL(`${dir}/`)), /unexpected asset name in manifest.json: "..\/..\/package.json"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
