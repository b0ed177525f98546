import type { WebAssets } from './assets.js';

/** The routes that serve the page; the token check skips them, because the page itself holds no data. */
export const PAGE_PATHS = ['/', '/pulse'] as const;
export const ASSETS_PREFIX = '/assets/';

/**
 * The page's shell. It carries no data and no inline script or style (the CSP forbids both): the bundled script
 * builds every card from the SSE feed with `textContent`, never with HTML strings.
 */
export function renderPage(assets: Pick<WebAssets, 'script' | 'style'>): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Gravito Pulse</title>
<link rel="stylesheet" href="${ASSETS_PREFIX}${assets.style}">
<script type="module" src="${ASSETS_PREFIX}${assets.script}"></script>
</head>
<body>
<a class="skip-link" href="#apps">Skip to the apps</a>
<header class="top">
  <h1>Gravito Pulse</h1>
  <p id="summary" class="summary">Connecting to the bridge…</p>
  <nav id="app-nav" class="app-nav" aria-label="Apps"></nav>
</header>
<div id="banners" class="banners"></div>
<main id="main">
  <section id="login" class="login" hidden aria-labelledby="login-title">
    <h2 id="login-title">Sign in</h2>
    <p>This bridge requires a token (<code>PULSE_BRIDGE_TOKEN</code>). It is kept for this tab only.</p>
    <form id="login-form" method="post" autocomplete="off">
      <label for="login-token">Token</label>
      <input id="login-token" name="token" type="password" required minlength="1" spellcheck="false">
      <button type="submit">Sign in</button>
      <p id="login-error" class="login-error" role="alert"></p>
    </form>
  </section>
  <div id="apps" class="apps" tabindex="-1"></div>
</main>
<noscript><p>The Pulse page needs JavaScript. The same data is at /api/pulse/servers.</p></noscript>
</body>
</html>
`;
}
