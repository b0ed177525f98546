// A small, bounded traffic generator for the example app: fast, slow, error and job routes in a loop.
//   TARGET_URL=http://127.0.0.1:3000 node --import tsx exporter/examples/express-app/traffic.ts
// env: TARGET_URL (http://127.0.0.1:3000), TRAFFIC_RPS (5, at most 50), TRAFFIC_DURATION_MS (0 = until stopped).
// Stops on SIGINT or SIGTERM.
const target = (process.env.TARGET_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
const rps = Math.min(50, Math.max(0.1, Number(process.env.TRAFFIC_RPS ?? 5)));
const durationMs = Number(process.env.TRAFFIC_DURATION_MS ?? 0);
const MAX_IN_FLIGHT = 8;

// Mostly fast requests, some slow ones, an error now and then, and jobs (one of them slow).
const routes = ['/', '/', '/', '/', '/slow/{n}', '/error', '/job', '/job?name=generate-report&ms=1500', '/', '/slow/{n}?ms=300'];

let inFlight = 0;
let sent = 0;
let failed = 0;
let stopped = false;

async function hit(path: string): Promise<void> {
  inFlight++;
  try {
    const res = await fetch(target + path, { signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer();
  } catch {
    failed++;
  } finally {
    inFlight--;
  }
}

const timer = setInterval(() => {
  if (stopped || inFlight >= MAX_IN_FLIGHT) return;
  const route = routes[sent % routes.length] as string;
  sent++;
  void hit(route.replace('{n}', String(sent % 100)));
}, 1000 / rps);

function stop(): void {
  if (stopped) return;
  stopped = true;
  clearInterval(timer);
  console.log(`traffic: ${sent} requests sent, ${failed} failed`);
  process.exit(0);
}
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
if (durationMs > 0) setTimeout(stop, durationMs).unref();
console.log(`traffic: ${rps} req/s to ${target}`);
