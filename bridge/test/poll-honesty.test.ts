// Polls that fail while Redis answers PING (a user without SCAN, a renamed command) must not look current:
// readiness, pulse_status, system_pulse and /metrics say so within 3 intervals, and the bridge recovers when the
// permission returns.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { heartbeatKey, PULSE_EVENTS, type PulseStatusEvent, type SystemPulseEvent } from '@gravito/pulse-protocol';
import {
  addUserToChange,
  asUserToChange,
  changeUserOf,
  launchChromium,
  run,
  skipWithoutChromium,
  startRedis,
  type TestRedis,
} from '@gravito/pulse-testkit';
import type { Redis } from 'ioredis';
import { assertEventsMatchProtocol, getJson, SseClient, startLoggedBridge, waitFor, writeHeartbeat } from './helpers.js';

const INTERVAL = 400;
/** The acceptance bound: a bridge whose polls fail says so within 3 intervals. */
const WITHIN = 3 * INTERVAL;

/** The value of an unlabelled series in a scrape. */
async function gauge(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} in /metrics`);
  return Number(line.slice(name.length + 1));
}

/** `/readyz` once its body's status is `status` (`ready`, `polls failing`), within `ms`. */
const readyzOnce = (url: string, status: string, ms: number) =>
  waitFor(
    async () => {
      const res = await getJson(`${url}/readyz`);
      return res.body.status === status ? res : undefined;
    },
    ms,
    `/readyz ${status}`,
  );

/** Log lines that name a refused command. */
const refusals = (logs: Array<Record<string, unknown>>, command: string) =>
  logs.filter((line) => line.command === command && /refuses/.test(String(line.msg)));

describe('polls that fail while Redis answers PING are never shown as current', () => {
  describe('an ACL user that loses SCAN, then gets it back', () => {
    let redis: TestRedis;
    let admin: Redis;
    let bridge: Awaited<ReturnType<typeof startLoggedBridge>>;
    before(async () => {
      // A private server: the test changes its ACL users.
      redis = await startRedis({ faults: true });
      admin = redis.client();
      await addUserToChange(admin);
      bridge = await startLoggedBridge({ redisUrl: asUserToChange(redis.url) }, INTERVAL);
    });
    after(async () => {
      await bridge?.stop();
      await redis?.stop();
    });

    it('within 3 intervals: /readyz 503, pulse_status and system_pulse say why and how old, /metrics poll_ok 0; then recovers', async () => {
      const { url } = bridge;
      await writeHeartbeat(admin, 'honesty', 'web-1');
      await waitFor(
        () => bridge.bridge.monitor.getAggregateMetrics().apps.find((a) => a.app === 'honesty' && a.servers_online === 1),
        5_000,
        'the server online',
      );
      assert.equal((await getJson(`${url}/readyz`)).status, 200);
      const sse = await SseClient.connect(`${url}/api/pulse/stream`);
      try {
        await sse.waitFor<PulseStatusEvent>(PULSE_EVENTS.status, (s) => s.redis_up && s.poll_ok !== false, 2_000);
        const from = sse.events.length;

        // The permission goes; the server's key is deleted: a poll that read it would call it lost at once.
        await changeUserOf(admin, asUserToChange(redis.url), '-scan');
        await admin.del(heartbeatKey('honesty', 'web-1'));
        const ready = await waitFor(
          async () => {
            const res = await getJson(`${url}/readyz`);
            return res.status !== 200 ? res : undefined;
          },
          WITHIN,
          '/readyz not 200',
        );
        assert.equal(ready.status, 503);
        assert.equal(ready.body.status, 'polls failing');
        assert.equal(ready.body.redis_up, true, 'Redis answers PING: it is not down, its polls fail');
        assert.equal(ready.body.poll_ok, false);
        assert.match(ready.body.poll_error, /NOPERM.*'scan'/);
        const status = await sse.waitFor<PulseStatusEvent>(PULSE_EVENTS.status, (s) => s.poll_ok === false, WITHIN, from);
        assert.equal(status.redis_up, true);
        assert.match(status.poll_error as string, /NOPERM.*'scan'/);
        assert.ok((status.data_age_ms as number) >= 0);
        // Every pulse from now on is flagged, with the state's age growing; the deleted server stays as it was
        // read (frozen, not current), never shown as a fresh reading.
        const pulses = await waitFor(
          () => {
            const flagged = sse.of<SystemPulseEvent>(PULSE_EVENTS.systemPulse).filter((e) => e.poll_ok === false);
            return flagged.length >= 3 ? flagged : undefined;
          },
          4 * INTERVAL + 2_000,
          'three flagged pulses',
        );
        const ages = pulses.map((e) => e.data_age_ms as number);
        assert.ok(
          ages.every((age, i) => i === 0 || age > (ages[i - 1] as number)),
          `the data's age grows: ${ages}`,
        );
        assert.ok(pulses.every((e) => e.redis_up && /NOPERM/.test(e.poll_error as string)));
        assert.equal(pulses.at(-1)?.apps.find((a) => a.app === 'honesty')?.servers[0]?.status, 'online', 'the last state, frozen');
        const body = (await getJson(`${url}/api/pulse/servers`)).body as SystemPulseEvent;
        assert.equal(body.poll_ok, false);
        assert.ok((body.data_age_ms as number) > 0);

        assert.equal(await gauge(url, 'pulse_bridge_poll_ok'), 0);
        assert.equal(await gauge(url, 'pulse_bridge_redis_up'), 1);
        const polledAt = await gauge(url, 'pulse_bridge_last_poll_timestamp_seconds');
        const age = await gauge(url, 'pulse_bridge_data_age_seconds');
        await new Promise((resolve) => setTimeout(resolve, 2 * INTERVAL));
        assert.equal(
          await gauge(url, 'pulse_bridge_last_poll_timestamp_seconds'),
          polledAt,
          'the last poll that succeeded: it does not advance',
        );
        assert.ok((await gauge(url, 'pulse_bridge_data_age_seconds')) > age, 'the age grows');
        assert.ok((await gauge(url, 'pulse_bridge_failed_polls_total')) >= 3);
        // Named once in the log, however many polls failed.
        assert.equal(refusals(bridge.logs, 'SCAN').length, 1, JSON.stringify(bridge.logs.filter((l) => l.level === 50)));

        // The permission returns: ready again, current again, and the deleted server is lost at once.
        const back = sse.events.length;
        await changeUserOf(admin, asUserToChange(redis.url), '+scan');
        await readyzOnce(url, 'ready', WITHIN);
        const recovered = await sse.waitFor<PulseStatusEvent>(PULSE_EVENTS.status, (s) => s.poll_ok === true, WITHIN, back);
        assert.equal(recovered.poll_error, undefined);
        const current = await sse.waitFor<SystemPulseEvent>(PULSE_EVENTS.systemPulse, (e) => e.poll_ok === undefined, WITHIN, back);
        assert.equal(current.apps.find((a) => a.app === 'honesty')?.servers[0]?.status, 'lost');
        assert.equal(await gauge(url, 'pulse_bridge_poll_ok'), 1);
        assert.ok((await gauge(url, 'pulse_bridge_last_poll_timestamp_seconds')) > polledAt);
        assert.ok((await gauge(url, 'pulse_bridge_data_age_seconds')) < 2 * (INTERVAL / 1000) + 1);
        assert.equal(sse.ended, false, 'the stream stayed open throughout');
        assertEventsMatchProtocol(sse);
      } finally {
        await sse.close();
      }
    });
  });

  it('SCAN renamed from the start: never ready, {redis_up: true, poll_ok: false, apps: []}, the age unknown', async (t) => {
    const redis = await startRedis({ args: ['--rename-command', 'SCAN', ''] });
    const bridge = await startLoggedBridge({ redisUrl: redis.url }, INTERVAL);
    const sse = await SseClient.connect(`${bridge.url}/api/pulse/stream`);
    try {
      await writeHeartbeat(redis.client(), 'renamed', 'web-1');
      const ready = await readyzOnce(bridge.url, 'polls failing', WITHIN);
      assert.equal(ready.status, 503);
      assert.match(ready.body.poll_error, /unknown command 'scan'/);
      assert.equal(ready.body.data_age_ms, undefined, 'no poll ever succeeded: the age is unknown');
      const status = await sse.waitFor<PulseStatusEvent>(PULSE_EVENTS.status, (s) => s.redis_up && s.poll_ok === false, WITHIN);
      assert.match(status.poll_error as string, /unknown command 'scan'/);
      const pulse = await sse.waitFor<SystemPulseEvent>(PULSE_EVENTS.systemPulse, (e) => e.redis_up, WITHIN);
      assert.equal(pulse.poll_ok, false);
      assert.deepEqual(pulse.apps, []);
      assert.equal(pulse.data_age_ms, undefined);
      await waitFor(() => bridge.bridge.monitor.failedPolls >= 3 || undefined, 4 * INTERVAL + 2_000, 'three failed polls');
      const text = await (await fetch(`${bridge.url}/metrics`)).text();
      assert.match(text, /\npulse_bridge_poll_ok 0\n/);
      assert.match(text, /\npulse_bridge_data_age_seconds NaN\n/i, 'unknown, never 0');
      assert.match(text, /\npulse_bridge_last_poll_timestamp_seconds NaN\n/i);
      await run('promtool', ['check', 'metrics'], { input: text });
      assert.equal(refusals(bridge.logs, 'SCAN').length, 1);
      assertEventsMatchProtocol(sse);
      await t.test('the page says its cards are not current', { skip: skipWithoutChromium() }, async () => {
        const browser = await launchChromium();
        try {
          const { page, log } = await browser.open();
          await page.goto(`${bridge.url}/`);
          const banner = page.locator('.banner-redis');
          await banner.waitFor({ state: 'visible', timeout: 5_000 });
          assert.match(
            (await banner.textContent()) ?? '',
            /^⚠ The bridge's polls of Redis are failing \(.*unknown command 'scan'.*\): the cards show nothing read yet, and server statuses are frozen\.$/,
          );
          assert.deepEqual(log.errors, []);
        } finally {
          await browser.close();
        }
      });
    } finally {
      await sse.close();
      await bridge.stop();
      await redis.stop();
    }
  });
});
