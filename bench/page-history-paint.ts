// The page's period graphs: paint time of a 7 d view of 100 servers (60 buckets × 100 servers × CPU, memory and
// event-loop p99)
// in Chromium, hand-drawn SVG (the page's own bridge/web/src/render/period-chart.ts) side by side with uPlot, both
// under the page's CSP; and what each way of drawing adds to the bundle (minified, gzip).
//   npm run bench -- page-history-paint
// Legs alternate, a fresh page per round; medians of ROUNDS rounds per leg (PULSE_BENCH_ROUNDS, default 9).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { launchChromium } from '@gravito/pulse-testkit';
import { build } from 'esbuild';
import { PAGE_CSP } from '../bridge/src/outputs/web/routes.js';
import { median } from './lib/median.js';

const SERVERS = 100;
const BUCKETS = 60;
const BUCKET_MS = 168 * 60_000;
const ROUNDS = Number(process.env.PULSE_BENCH_ROUNDS ?? 9);
const LEGS = ['svg', 'uplot'] as const;
/** Graphs per server card, as the page draws them: CPU, memory used, event-loop p99. */
const GRAPHS = 3;
type Leg = (typeof LEGS)[number];

/** A 7 d history of one app: every server has all 60 buckets (the most points a period can draw). */
function fixture(): string {
  const to = Math.floor(Date.now() / BUCKET_MS) * BUCKET_MS + BUCKET_MS;
  const from = to - BUCKETS * BUCKET_MS;
  const servers = Array.from({ length: SERVERS }, (_, s) => ({
    id: `web-${String(s).padStart(3, '0')}`,
    series: Array.from({ length: BUCKETS }, (_, b) => {
      const cpu = 20 + ((s * 7 + b * 13) % 60);
      const memory = (1 + ((s + b) % 10) / 10) * 2 ** 30;
      const loop = 5 + ((s * 3 + b * 11) % 40);
      return {
        start: from + b * BUCKET_MS,
        cpu_avg: cpu,
        cpu_max: cpu + 10,
        memory_used_avg: memory,
        memory_used_max: memory * 1.1,
        loop_p99_avg_ms: loop,
        loop_p99_max_ms: loop * 2,
      };
    }),
  }));
  const app = {
    app: 'shop',
    slow: [],
    slow_other: { count: 0 },
    slow_groups: 0,
    exceptions: [],
    exceptions_other: { count: 0 },
    exception_groups: 0,
  };
  return JSON.stringify({ period: '7d', bucket_ms: BUCKET_MS, from, to, apps: [{ ...app, health: [], servers }], queues: [] });
}

interface Bundle {
  js: Buffer;
  css: Buffer;
}

/** One leg bundled as the page is (bridge/scripts/build-web.mjs: minified ESM, same targets). */
async function bundle(entry: string, outdir: string): Promise<Bundle> {
  const result = await build({
    entryPoints: { [entry]: `bench/page-history/${entry}.mjs` },
    outdir,
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome110', 'firefox110', 'safari16'],
    legalComments: 'none',
    write: false,
    logLevel: 'warning',
  });
  const file = (ext: string) => Buffer.from(result.outputFiles.find((f) => f.path.endsWith(ext))?.contents ?? new Uint8Array());
  return { js: file('.js'), css: file('.css') };
}

async function pageStyle(outdir: string): Promise<Buffer> {
  const result = await build({
    entryPoints: ['bridge/web/src/styles.css'],
    outdir,
    bundle: true,
    minify: true,
    write: false,
    logLevel: 'warning',
  });
  return Buffer.from(result.outputFiles[0]?.contents ?? new Uint8Array());
}

const out = mkdtempSync(join(tmpdir(), 'pulse-bench-history-'));
const bundles: Record<Leg, Bundle> = { svg: await bundle('svg-leg', out), uplot: await bundle('uplot-leg', out) };
const style = await pageStyle(out);
const history = fixture();

const html = (leg: Leg) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${leg}</title>
<link rel="stylesheet" href="/style.css"><link rel="stylesheet" href="/${leg}.css"><script type="module" src="/${leg}.js"></script>
</head><body><main id="root"></main></body></html>`;
const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://bench').pathname;
  const leg = LEGS.find((l) => path.startsWith(`/${l}`));
  const [type, body] =
    path === '/fixture.json'
      ? ['application/json', history]
      : path === '/style.css'
        ? ['text/css', style]
        : leg && path.endsWith('.js')
          ? ['text/javascript', bundles[leg].js]
          : leg && path.endsWith('.css')
            ? ['text/css', bundles[leg].css]
            : leg
              ? ['text/html', html(leg)]
              : [undefined, undefined];
  if (path === '/favicon.ico') res.writeHead(204).end();
  else if (type === undefined) res.writeHead(404).end();
  else res.writeHead(200, { 'Content-Type': `${type}; charset=utf-8`, 'Content-Security-Policy': PAGE_CSP }).end(body);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const browser = await launchChromium();
const times: Record<Leg, number[]> = { svg: [], uplot: [] };
try {
  const { page, log } = await browser.open({ width: 1280, height: 800 });
  for (let round = 0; round < ROUNDS; round++) {
    for (const leg of round % 2 === 0 ? LEGS : [...LEGS].reverse()) {
      await page.goto(`${base}/${leg}`);
      await page.waitForFunction('typeof window.__paint === "function"');
      times[leg].push((await page.evaluate('window.__paint()')) as number);
      const charts = (await page.evaluate(`document.querySelectorAll('.period-chart').length`)) as number;
      if (charts !== SERVERS * GRAPHS) throw new Error(`${leg}: ${charts} graphs drawn, expected ${SERVERS * GRAPHS}`);
    }
  }
  // A CSP refusal (an inline style, innerHTML under Trusted Types) would show here and disqualify the leg.
  if (log.errors.length > 0 || log.console.some((l) => l.startsWith('error')))
    throw new Error(`page errors: ${[...log.errors, ...log.console].join('\n')}`);
} finally {
  await browser.close();
  server.close();
  rmSync(out, { recursive: true, force: true });
}

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`7 d view, ${SERVERS} servers × ${BUCKETS} buckets × ${GRAPHS} graphs, Chromium 1280×800, ${ROUNDS} rounds per leg`);
console.log('| leg | bundle (min) | bundle (gzip) | paint, median | paint, min–max |');
console.log('|---|---|---|---|---|');
for (const leg of LEGS) {
  const { js, css } = bundles[leg];
  const all = Buffer.concat([js, css]);
  const t = times[leg];
  console.log(
    `| ${leg} | ${kib(all.length)} | ${kib(gzipSync(all).length)} | ${median(t).toFixed(1)} ms | ${Math.min(...t).toFixed(1)}–${Math.max(...t).toFixed(1)} ms |`,
  );
}
console.log(`uplot / svg paint: ${(median(times.uplot) / median(times.svg)).toFixed(2)}×`);
