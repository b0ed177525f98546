import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { which } from './system.js';

/** Headless, no sandbox (CI runs as root), and nothing that talks to the network or updates itself. */
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const HOW_TO_GET_CHROMIUM = 'No Chromium for the browser tests: apt-get install -y chromium, or set CHROMIUM_PATH.';

/** The system's Chromium (Debian's `chromium` package): the tests never download a browser. */
export function findChromium(): string | undefined {
  return process.env.CHROMIUM_PATH || which('chromium') || which('chromium-browser');
}

/**
 * The `skip` of a browser test: the reason when there is no Chromium, except in CI, where a missing Chromium must
 * fail (launchChromium says how to install it) rather than pass unseen.
 */
export function skipWithoutChromium(): string | false {
  return findChromium() || process.env.CI ? false : HOW_TO_GET_CHROMIUM;
}

/** What a page printed and threw, for tests that check that no script of theirs ran. */
export interface PageLog {
  console: string[];
  errors: string[];
  dialogs: string[];
}

export interface TestBrowser {
  /** A new tab (its own sessionStorage) whose console, uncaught errors and dialogs are recorded. */
  open(viewport?: { width: number; height: number }): Promise<{ page: Page; log: PageLog }>;
  /** Closes the browser and removes its profile. Idempotent. */
  close(): Promise<void>;
}

/** A real headless Chromium driven by playwright-core, with a fresh profile in a temporary directory. */
export async function launchChromium(): Promise<TestBrowser> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error(HOW_TO_GET_CHROMIUM);
  const profile = mkdtempSync(join(tmpdir(), 'pulse-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: CHROMIUM_FLAGS });
  let closed = false;
  return {
    async open(viewport = { width: 1280, height: 900 }) {
      const page = await context.newPage();
      await page.setViewportSize(viewport);
      const log: PageLog = { console: [], errors: [], dialogs: [] };
      page.on('console', (m) => log.console.push(`${m.type()}: ${m.text()}`));
      page.on('pageerror', (e) => log.errors.push(e.message));
      page.on('dialog', (d) => {
        log.dialogs.push(d.message());
        void d.dismiss();
      });
      return { page, log };
    },
    async close() {
      if (closed) return;
      closed = true;
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
