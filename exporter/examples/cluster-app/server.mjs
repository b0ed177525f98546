// A Node cluster app: the primary forks WORKERS (2) Express workers sharing one port. Nothing here knows
// about Pulse; run it with the zero-code entry, which workers inherit through execArgv:
//   OTEL_SERVICE_NAME=shop REDIS_URL=redis://127.0.0.1:6379 node --import @gravito/pulse-node/register server.mjs
// The primary's heartbeat lists the workers in `processes` (pid, command, CPU, RSS): 3 processes on the
// ProcessList card. Each worker also reports its own requests, and its own heartbeat as a server of its own.
import cluster from 'node:cluster';
import express from 'express';

const WORKERS = Number(process.env.WORKERS ?? 2);

if (cluster.isPrimary) {
  let listening = 0;
  cluster.on('listening', (_worker, address) => {
    if (++listening === WORKERS) console.log(`listening on http://127.0.0.1:${address.port} (primary ${process.pid}, ${WORKERS} workers)`);
  });
  for (let i = 0; i < WORKERS; i++) cluster.fork();
} else {
  const app = express();
  app.get('/', (_req, res) => res.json({ ok: true, worker: process.pid }));
  app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
}
