import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { heartbeatKey, PULSE_EVENTS } from '@gravito/pulse-protocol';
import { startRedis, type TestRedis } from '@gravito/pulse-testkit';
import { pino } from 'pino';
import { createBridge } from '../src/index.js';
import { getJson, heartbeat, SseClient, startBridge, waitFor } from './helpers.js';

const TOKEN = 'test-token-0123456789abcdef';

describe('security and limits', () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  describe('with a token and a CORS allow-list', () => {
    let bridge: Awaited<ReturnType<typeof startBridge>>;
    before(async () => {
      bridge = await startBridge({ redisUrl: redis.url, token: TOKEN, corsOrigins: ['https://zenith.example.com'] }, 200);
    });
    after(async () => {
      await bridge?.stop();
    });

    it('requires the bearer token everywhere but /healthz, the SSE stream included', async () => {
      const paths = [
        '/api/pulse/stream',
        '/api/pulse/servers',
        '/api/pulse/slow?app=a',
        '/api/pulse/errors?app=a',
        '/metrics',
        '/readyz',
        '/nope',
      ];
      for (const path of paths) {
        for (const headers of [
          {},
          { authorization: 'Bearer wrong-token-0123456789abc' },
          { authorization: TOKEN },
          { authorization: `Basic ${TOKEN}` },
        ] as Record<string, string>[]) {
          const res = await fetch(`${bridge.url}${path}`, { headers });
          assert.equal(res.status, 401, `${path} ${JSON.stringify(headers)}`);
          assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
          assert.deepEqual(await res.json(), { error: 'a valid bearer token is required' });
        }
      }
      // a query token is accepted on the stream only (browsers' EventSource cannot set headers)
      assert.equal((await fetch(`${bridge.url}/api/pulse/servers?access_token=${TOKEN}`)).status, 401);
      const viaQuery = await SseClient.connect(`${bridge.url}/api/pulse/stream?access_token=${TOKEN}`);
      assert.equal(viaQuery.status, 200);
      await viaQuery.waitFor(PULSE_EVENTS.systemPulse, () => true, 1_000);
      await viaQuery.close();

      const auth = { authorization: `Bearer ${TOKEN}` };
      // The scheme is case-insensitive (RFC 7235); the token is not.
      for (const scheme of ['bearer', 'BEARER', 'bEaReR']) {
        assert.equal((await getJson(`${bridge.url}/api/pulse/servers`, { authorization: `${scheme} ${TOKEN}` })).status, 200, scheme);
      }
      assert.equal((await getJson(`${bridge.url}/api/pulse/servers`, { authorization: `Bearer ${TOKEN.toUpperCase()}` })).status, 401);
      assert.equal((await getJson(`${bridge.url}/healthz`)).status, 200);
      assert.equal((await getJson(`${bridge.url}/api/pulse/servers`, auth)).status, 200);
      assert.equal((await fetch(`${bridge.url}/metrics`, { headers: auth })).status, 200);
      const sse = await SseClient.connect(`${bridge.url}/api/pulse/stream`, auth);
      assert.equal(sse.status, 200);
      await sse.waitFor(PULSE_EVENTS.systemPulse, () => true, 1_000);
      await sse.close();
    });

    it('grants CORS to the listed origins only', async () => {
      const auth = { authorization: `Bearer ${TOKEN}` };
      const allowed = await fetch(`${bridge.url}/api/pulse/servers`, { headers: { ...auth, origin: 'https://zenith.example.com' } });
      assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://zenith.example.com');
      assert.match(allowed.headers.get('vary') ?? '', /Origin/);
      for (const origin of ['https://evil.example.com', 'https://zenith.example.com.evil.io', 'http://zenith.example.com', 'null']) {
        const denied = await fetch(`${bridge.url}/api/pulse/servers`, { headers: { ...auth, origin } });
        assert.equal(denied.headers.get('access-control-allow-origin'), null, origin);
      }
      const preflight = await fetch(`${bridge.url}/api/pulse/stream`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://zenith.example.com',
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      });
      assert.equal(preflight.status, 204);
      assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Authorization/);
      const badPreflight = await fetch(`${bridge.url}/api/pulse/stream`, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'GET' },
      });
      assert.equal(badPreflight.status, 403);
      assert.equal(badPreflight.headers.get('access-control-allow-origin'), null);
    });
  });

  it('warns loudly when it listens beyond loopback without a token, and not on loopback', async () => {
    for (const [host, warned] of [
      ['0.0.0.0', true],
      ['127.0.0.1', false],
    ] as const) {
      const lines: Array<Record<string, unknown>> = [];
      const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
      const bridge = createBridge({ host, port: 0, redisUrl: redis.url }, { logger });
      await bridge.start();
      await bridge.stop(1_000);
      assert.equal(lines.filter((l) => /PULSE_BRIDGE_TOKEN is not set/.test(String(l.msg))).length, warned ? 1 : 0, host);
    }
  });

  it('sends a ":" keep-alive comment every keep-alive period (15 s by default)', async () => {
    const bridge = await startBridge({ redisUrl: redis.url }, 1_000, { keepAliveMs: 100 });
    try {
      const sse = await SseClient.connect(`${bridge.url}/api/pulse/stream`);
      await waitFor(() => sse.comments.filter((c) => c === 'keep-alive').length >= 3, 2_000, 'keep-alive comments');
      await sse.close();
    } finally {
      await bridge.stop();
    }
  });

  it('answers 503 past the max SSE clients, and frees the slot on close', async () => {
    const bridge = await startBridge({ redisUrl: redis.url, sseMaxClients: 2 }, 200);
    try {
      const a = await SseClient.connect(`${bridge.url}/api/pulse/stream`);
      const b = await SseClient.connect(`${bridge.url}/api/pulse/stream`);
      assert.equal(a.status, 200);
      assert.equal(b.status, 200);
      const c = await getJson(`${bridge.url}/api/pulse/stream`);
      assert.equal(c.status, 503);
      assert.equal(c.body.error, 'too many stream clients');
      assert.equal(c.headers.get('retry-after'), '5');
      await a.close();
      await waitFor(() => bridge.bridge.sse.size === 1, 2_000, 'slot freed on close');
      const d = await SseClient.connect(`${bridge.url}/api/pulse/stream`);
      assert.equal(d.status, 200);
      const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
      assert.match(metrics, /\npulse_bridge_sse_clients 2\n/);
      assert.match(metrics, /\npulse_bridge_sse_rejected_clients_total 1\n/);
      await b.close();
      await d.close();
      await waitFor(() => bridge.bridge.sse.size === 0, 2_000, 'all closed');
    } finally {
      await bridge.stop();
    }
  });

  it('disconnects and counts a client that stops reading, while a reading client stays', async () => {
    const app = 'slow-client';
    const client = redis.client();
    const pipeline = client.pipeline();
    // ~300 servers make each system_pulse ~250 KB
    for (let i = 0; i < 300; i++) pipeline.set(heartbeatKey(app, `s-${i}`), JSON.stringify(heartbeat(app, `s-${i}`)), 'EX', 60);
    await pipeline.exec();
    const bridge = await startBridge({ redisUrl: redis.url, sseMaxBufferBytes: 256 * 1024 }, 100);
    try {
      await waitFor(() => bridge.bridge.monitor.getAggregateMetrics().apps.some((a) => a.app === app), 3_000, 'snapshot');
      const reader = await SseClient.connect(`${bridge.url}/api/pulse/stream`);
      const { port } = new URL(bridge.url);
      const stalled = connect(Number(port), '127.0.0.1');
      let closed = false;
      stalled.on('close', () => {
        closed = true;
      });
      stalled.on('error', () => {});
      await new Promise<void>((resolve) => stalled.once('connect', () => resolve()));
      stalled.write('GET /api/pulse/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n');
      // never read: the kernel buffers fill, then the bridge's
      stalled.pause();
      await waitFor(() => bridge.bridge.sse.counters.slowClientsDropped >= 1, 30_000, 'slow client dropped');
      stalled.resume(); // drain what is left, so that the close arrives
      await waitFor(() => closed, 10_000, 'stalled socket closed');
      assert.equal(reader.ended, false, 'the reading client stays connected');
      const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
      assert.match(metrics, /\npulse_bridge_sse_slow_clients_dropped_total 1\n/);
      await reader.close();
      stalled.destroy();
    } finally {
      await bridge.stop();
    }
  });
});
