// A plain ES module Express app that knows nothing about OpenTelemetry or Pulse:
//   OTEL_SERVICE_NAME=shop REDIS_URL=redis://127.0.0.1:6379 node --import @gravito/pulse-node/register app.mjs
// Routes: GET / (fast), GET /slow/:id?ms= (slow, 1200 ms by default), GET /error (throws).
import express from 'express';

const app = express();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

app.get('/', (_req, res) => res.json({ ok: true }));
app.get('/slow/:id', async (req, res) => {
  const ms = Math.min(Number(req.query.ms ?? 1200) || 0, 60_000);
  await sleep(ms);
  res.json({ id: req.params.id, waited_ms: ms });
});
app.get('/error', () => {
  throw new TypeError('zero-code failure from /error');
});
app.use((err, _req, res, _next) => res.status(500).json({ error: err.message }));

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
