// npm run demo: Gravito Pulse without Docker. Starts (or uses) Redis, the bridge, the example app with its
// traffic generator and, when `prometheus` is on PATH, a Prometheus scraping the bridge every second.
// Ctrl-C (SIGINT) or SIGTERM stops everything it started and removes its temporary directories.
//
// Environment (each child also reads its own variables, as when run alone):
//   REDIS_URL          use this Redis instead of a private redis-server from PATH
//   PULSE_BRIDGE_PORT  bridge port (9464)
//   PORT               example app port (8080; 3000 is Grafana's in the Docker stack)
//   PULSE_INTERVAL_MS  heartbeat interval of the example app (2000 here, for a lively demo)
//   PROMETHEUS_PORT    Prometheus port (9090); PULSE_DEMO_PROMETHEUS=0 skips Prometheus
//   PULSE_DEMO_QUIET=1 do not echo the children's output
//   PULSE_ZENITH_MIRROR  the bridge mirrors the servers into Zenith's keys (1 here; 0 turns it off)
import { which } from '@gravito/pulse-testkit';
import { DEMO_PORTS } from './demo/ports.js';
import { type Stack, StackError, startStack } from './demo/stack.js';

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    console.error(`demo: ${name}=${raw} is not a port number`);
    process.exit(2);
  }
  return value;
}

const quiet = process.env.PULSE_DEMO_QUIET === '1';
const wantPrometheus = process.env.PULSE_DEMO_PROMETHEUS !== '0';
const prometheusOnPath = wantPrometheus && which('prometheus') !== undefined;

// Prometheus logs every startup step at info level: echo only its warnings and errors. A private Redis is the demo's
// plumbing: its log is not echoed (its last lines are in the error when it does not start).
const sink = quiet
  ? undefined
  : (name: string, line: string) => {
      if (name === 'redis') return;
      if (name === 'prometheus' && !/level=(warn|error)/.test(line)) return;
      console.log(`[${name}] ${line}`);
    };

let stack: Stack | undefined;
let starting: Promise<Stack> | undefined;
let exiting = false;
let firstSignalAt = 0;
const aborter = new AbortController();

async function shutdown(code: number, reason: string): Promise<void> {
  if (exiting) return;
  exiting = true;
  console.log(`\ndemo: ${reason}, stopping…`);
  // Interrupted while starting: startStack stops what it started, then rejects.
  aborter.abort();
  const started = stack ?? (await starting?.catch(() => undefined));
  await started?.stop();
  console.log('demo: stopped');
  process.exit(code);
}

// A second Ctrl-C while stopping gives up waiting: the children are killed and temporary directories removed. A signal sent both to the demo and to
// its process group (as `timeout` does) arrives twice at once: repeats within a second are the same request.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (exiting) {
      if (Date.now() - firstSignalAt < 1000) return;
      console.error('demo: forced exit');
      stack?.killNow();
      process.exit(130);
    }
    firstSignalAt = Date.now();
    void shutdown(0, signal);
  });
}

try {
  starting = startStack({
    redisUrl: process.env.REDIS_URL || undefined,
    bridgePort: port('PULSE_BRIDGE_PORT', DEMO_PORTS.bridge),
    appPort: port('PORT', DEMO_PORTS.app),
    prometheusPort: prometheusOnPath ? port('PROMETHEUS_PORT', DEMO_PORTS.prometheus) : undefined,
    scrapeIntervalSeconds: 1,
    // The mirror is on, so that a Zenith pointed at the demo's Redis shows its servers (README, "Zenith").
    env: { PULSE_INTERVAL_MS: process.env.PULSE_INTERVAL_MS ?? '2000', PULSE_ZENITH_MIRROR: process.env.PULSE_ZENITH_MIRROR ?? '1' },
    sink,
    portVariables: { bridge: 'PULSE_BRIDGE_PORT', app: 'PORT', prometheus: 'PROMETHEUS_PORT' },
    signal: aborter.signal,
    onUnexpectedExit: (name, code, signal) => void shutdown(1, `${name} exited unexpectedly (${signal ?? `code ${code}`})`),
  });
  stack = await starting;
} catch (err) {
  // Interrupted: shutdown() finishes the job and exits.
  if (exiting) await new Promise(() => {});
  console.error(`demo: ${err instanceof StackError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
}

if (!exiting) {
  const s = stack;
  const lines = [
    '',
    'Gravito Pulse demo is running:',
    `  pulse page   ${s.bridgeUrl}/  (live cards: servers, processes, slow requests, exceptions)`,
    `  example app  ${s.appUrl}  (traffic generator: fast, slow and failing requests, and jobs)`,
    `  bridge       ${s.bridgeUrl}/metrics`,
    `               ${s.bridgeUrl}/api/pulse/stream  (SSE)   ${s.bridgeUrl}/api/pulse/servers  (JSON)`,
    s.prometheusUrl
      ? `  prometheus   ${s.prometheusUrl}/graph?g0.expr=pulse_server_up&g0.tab=1   alerts: ${s.prometheusUrl}/classic/alerts`
      : `  prometheus   ${wantPrometheus ? 'not on PATH, skipped (apt-get install -y prometheus)' : 'skipped (PULSE_DEMO_PROMETHEUS=0)'}`,
    `  redis        ${s.redisUrl}${s.privateRedis ? '  (private, removed on exit)' : ''}`,
    // The README's steps ("The demo in Gravito Zenith"), with the port whose page they open.
    `  zenith       REDIS_URL=${s.redisUrl} PORT=3300 bun dist/bin.js  (in packages/zenith), then http://localhost:3300/pulse; or /api/pulse/nodes here`,
    '  Grafana dashboards: docker compose up, then http://localhost:3000 (see grafana/README.md).',
    'Press Ctrl-C to stop.',
    '',
  ];
  console.log(lines.join('\n'));
}
