import { type Request, type Response, Router } from 'express';
import type { Logger } from 'pino';
import { loadWebAssets, type WebAssets } from './assets.js';
import { ASSETS_PREFIX, PAGE_PATHS, renderPage } from './page.js';

/**
 * No inline script or style, no eval, nothing from another origin; Trusted Types make any `innerHTML = string`
 * throw, so that a text from Redis can never become markup, even by a future mistake.
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'Content-Security-Policy': PAGE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * `GET /` and `/pulse` (the page, revalidated on every load so that a new build is picked up at once) and
 * `/assets/*` (content-hashed, so cached for a year). A bridge whose page was not built still serves its API,
 * and answers 503 here with a hint.
 */
export function webRoutes(log: Logger, load: () => WebAssets = loadWebAssets): Router {
  const router = Router();
  let assets: WebAssets | undefined;
  try {
    assets = load();
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'pulse page not built: run npm run build; serving the API only');
  }
  const page = assets ? Buffer.from(renderPage(assets)) : undefined;

  router.get([...PAGE_PATHS], (_req: Request, res: Response) => {
    res.set(SECURITY_HEADERS).set('Cache-Control', 'no-cache');
    if (!page) {
      res.status(503).type('text/plain').send('The Pulse page is not built: run `npm run build`. The API is served as usual.\n');
      return;
    }
    res.type('text/html; charset=utf-8').send(page);
  });

  router.get(`${ASSETS_PREFIX}:name`, (req: Request, res: Response) => {
    const file = assets?.files.get(String(req.params.name));
    res.set(SECURITY_HEADERS);
    if (!file) {
      res.status(404).set('Cache-Control', 'no-store').json({ error: 'not found' });
      return;
    }
    res.set('Cache-Control', 'public, max-age=31536000, immutable').type(file.contentType).send(file.body);
  });

  // Browsers ask for it on their own; without this, a token-protected bridge would log a 401 per page load.
  router.get('/favicon.ico', (_req: Request, res: Response) => {
    res.set('Cache-Control', 'public, max-age=86400').status(204).end();
  });
  return router;
}
