// Token guessing (issue 22): wrong tokens are slowed per client address, counted in
// pulse_bridge_auth_failures_total{result}, and logged once a minute per client at most, never with the token.
// Loopback covers 127.0.0.0/8 on Linux, so requests sent from 127.0.0.2, 127.0.0.3… are other clients.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRedis, type TestRedis } from '@gravito/pulse-testkit';
import { pino } from 'pino';
import { assembleBridge, type BridgeInternals } from '../src/assemble.js';
import { clientKey } from '../src/outputs/http/client-key.js';
import { GUESS_POLICY, type GuessPolicy } from '../src/outputs/http/guess-limiter.js';
import { tokenMatcher } from '../src/outputs/http/token-match.js';

const TOKEN = 'right-token-0123456789abcdef';
const ATTACKER = '127.0.0.1';
/** A route behind the token that answers 200 whether or not Redis has been reached yet. */
const PROTECTED = '/api/pulse/servers';

interface Answer {
  status: number;
  retryAfter: string | undefined;
}

interface Ask {
  token?: string;
  /** The source address (ATTACKER by default). */
  from?: string;
  /** The token as `?access_token=` rather than in the Authorization header. */
  inQuery?: boolean;
  forwardedFor?: string;
}

/** One GET over its own connection (status and headers only). */
function get(base: string, path: string, { token, from = ATTACKER, inQuery = false, forwardedFor }: Ask) {
  const url = new URL(path, base);
  if (token !== undefined && inQuery) url.searchParams.set('access_token', token);
  const headers: Record<string, string> = {};
  if (token !== undefined && !inQuery) headers.authorization = `Bearer ${token}`;
  if (forwardedFor) headers['x-forwarded-for'] = forwardedFor;
  return new Promise<Answer>((resolve, reject) => {
    const req = request(url, { headers, localAddress: from, agent: false }, (res) => {
      // The status and headers are the answer; a stream let through would never end, so the body is not waited for.
      resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] });
      res.destroy();
    });
    req.on('error', reject);
    req.end();
  });
}

/** A wrong token of the right token's length, never sent twice. */
const guess = () => randomBytes(TOKEN.length / 2).toString('hex');

interface Guarded {
  bridge: BridgeInternals;
  url: string;
  logs: Array<Record<string, unknown>>;
  /** The raw log text, to look for tokens in. */
  text: () => string;
}

describe('token guessing', () => {
  let redis: TestRedis;
  const running: BridgeInternals[] = [];
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    for (const bridge of running) await bridge.stop(2_000);
    await redis?.stop();
  });

  async function startGuarded(guessPolicy?: Partial<GuessPolicy>): Promise<Guarded> {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const bridge = assembleBridge(
      { host: '127.0.0.1', port: 0, redisUrl: redis.url, token: TOKEN, redisTimeoutMs: 500 },
      { logger, unsafeIntervalMs: 200, guessPolicy },
    );
    running.push(bridge);
    const { url } = await bridge.start();
    return {
      bridge,
      url,
      get logs() {
        return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      },
      text: () => lines.join(''),
    };
  }

  /** pulse_bridge_auth_failures_total by result, from a scrape (not over HTTP: the attacker's address may be waiting). */
  async function failures(bridge: BridgeInternals): Promise<Record<string, number>> {
    const scrape = await bridge.metrics.scrape(false);
    const text = Buffer.concat(scrape.body).toString();
    const counts: Record<string, number> = {};
    for (const [, result, value] of text.matchAll(/^pulse_bridge_auth_failures_total\{result="(\w+)"\} (\d+)$/gm)) {
      counts[result as string] = Number(value);
    }
    return counts;
  }

  const guessLines = (guarded: Guarded) => guarded.logs.filter((line) => /^token check failed/.test(String(line.msg)));

  it('answers a guessing client at the policy rate while others are unaffected, counts every refusal, logs no token', async () => {
    const guarded = await startGuarded();
    const guesses = Array.from({ length: 200 }, guess);
    const answers: Answer[] = [];
    let meanwhile: { right: Answer; otherClient: Answer[] } | undefined;
    const started = performance.now();
    // As fast as possible: waves of 20 at once, half through the header, half through the stream's `?access_token=`.
    for (let wave = 0; wave < 10; wave++) {
      const batch = guesses
        .slice(wave * 20, wave * 20 + 20)
        .map((token, i) =>
          i % 2 ? get(guarded.url, '/api/pulse/stream', { token, inQuery: true }) : get(guarded.url, PROTECTED, { token }),
        );
      if (wave === 4) {
        // Meanwhile, the right token from another address, and another client's own first wrong tokens.
        const right = get(guarded.url, PROTECTED, { token: TOKEN, from: '127.0.0.2' });
        const other = Array.from({ length: GUESS_POLICY.failuresBeforeWait }, () =>
          get(guarded.url, PROTECTED, { token: guess(), from: '127.0.0.3' }),
        );
        meanwhile = { right: await right, otherClient: await Promise.all(other) };
      }
      answers.push(...(await Promise.all(batch)));
    }
    const elapsedMs = performance.now() - started;

    const answered = answers.filter((a) => a.status === 401).length;
    const throttled = answers.filter((a) => a.status === 429);
    assert.equal(answered + throttled.length, 200, 'every guess is answered 401 or 429');
    // The policy: `failuresBeforeWait` answers at once, then one more at the end of each wait (1 s, then 2, 4 … s).
    let waitsOver = 0;
    for (let waitEndsAt = GUESS_POLICY.firstWaitMs; waitEndsAt <= elapsedMs; waitEndsAt += GUESS_POLICY.firstWaitMs * 2 ** waitsOver) {
      waitsOver++;
    }
    assert.ok(answered >= GUESS_POLICY.failuresBeforeWait, `${answered} guesses answered`);
    assert.ok(answered <= GUESS_POLICY.failuresBeforeWait + waitsOver, `${answered} guesses answered in ${Math.round(elapsedMs)} ms`);
    for (const refusal of throttled) {
      const seconds = Number(refusal.retryAfter);
      assert.ok(
        Number.isInteger(seconds) && seconds >= 1 && seconds <= GUESS_POLICY.maxWaitMs / 1000,
        `Retry-After: ${refusal.retryAfter}`,
      );
    }
    // Neither the right token from another address nor another client's first wrong tokens were held up.
    assert.equal(meanwhile?.right.status, 200);
    assert.deepEqual(
      meanwhile?.otherClient.map((a) => a.status),
      Array(GUESS_POLICY.failuresBeforeWait).fill(401),
    );

    assert.deepEqual(await failures(guarded.bridge), {
      missing: 0,
      wrong: answered + GUESS_POLICY.failuresBeforeWait,
      untracked: 0,
      throttled: throttled.length,
    });
    // One warning per client (the test takes far less than the minute between a client's lines), none with a token.
    assert.deepEqual(
      guessLines(guarded).map((line) => [line.level, line.client, line.failures, line.refused]),
      [
        [40, ATTACKER, 1, 0],
        [40, '127.0.0.3', 1, 0],
      ],
    );
    const text = guarded.text();
    for (const token of [TOKEN, ...guesses]) assert.ok(!text.includes(token), `token ${token} in the log`);
  });

  it('refuses a waiting client without looking at its token, even the right one, and says how long to wait', async () => {
    const guarded = await startGuarded({ firstWaitMs: 60_000 });
    for (let i = 0; i < GUESS_POLICY.failuresBeforeWait; i++) {
      assert.equal((await get(guarded.url, PROTECTED, { token: guess() })).status, 401);
    }
    // A right token let through now would tell a guesser which of its guesses was right.
    for (const answer of [
      await get(guarded.url, PROTECTED, { token: TOKEN }),
      await get(guarded.url, '/api/pulse/stream', { token: TOKEN, inQuery: true }),
    ]) {
      assert.equal(answer.status, 429);
      assert.ok(Number(answer.retryAfter) > 50 && Number(answer.retryAfter) <= 60, `Retry-After: ${answer.retryAfter}`);
    }
    // X-Forwarded-For is not trusted: any client can write it.
    assert.equal((await get(guarded.url, PROTECTED, { token: TOKEN, forwardedFor: '203.0.113.9' })).status, 429);
    assert.equal((await get(guarded.url, PROTECTED, { token: TOKEN, from: '127.0.0.2' })).status, 200);
    assert.equal((await get(guarded.url, '/healthz', {})).status, 200, '/healthz is never slowed');
    assert.deepEqual(await failures(guarded.bridge), { missing: 0, wrong: GUESS_POLICY.failuresBeforeWait, untracked: 0, throttled: 3 });
  });

  it('does not count a request without a token as a guess', async () => {
    const guarded = await startGuarded();
    for (let i = 0; i < 3 * GUESS_POLICY.failuresBeforeWait; i++) assert.equal((await get(guarded.url, PROTECTED, {})).status, 401);
    assert.equal((await get(guarded.url, PROTECTED, { token: TOKEN })).status, 200);
    assert.deepEqual(await failures(guarded.bridge), {
      missing: 3 * GUESS_POLICY.failuresBeforeWait,
      wrong: 0,
      untracked: 0,
      throttled: 0,
    });
    assert.equal(guessLines(guarded).length, 0);
  });

  it('keeps the client table to its cap: clients past it share one entry, counted as untracked', async () => {
    const guarded = await startGuarded({ maxClients: 2, firstWaitMs: 60_000 });
    const { url } = guarded;
    assert.equal((await get(url, PROTECTED, { token: guess(), from: '127.0.0.1' })).status, 401);
    assert.equal((await get(url, PROTECTED, { token: guess(), from: '127.0.0.2' })).status, 401);
    // The table is full: 127.0.0.3's wrong tokens go to the shared entry, whose wait starts at the last of them.
    for (let i = 0; i < GUESS_POLICY.failuresBeforeWait; i++) {
      assert.equal((await get(url, PROTECTED, { token: guess(), from: '127.0.0.3' })).status, 401, `guess ${i} from 127.0.0.3`);
    }
    // 127.0.0.4 never failed, yet waits: it has no entry of its own, so the shared one judges it, right token or not.
    assert.equal((await get(url, PROTECTED, { token: guess(), from: '127.0.0.4' })).status, 429);
    assert.equal((await get(url, PROTECTED, { token: TOKEN, from: '127.0.0.4' })).status, 429);
    // Clients with their own entry are judged by it alone.
    assert.equal((await get(url, PROTECTED, { token: TOKEN, from: '127.0.0.1' })).status, 200);
    assert.equal((await get(url, PROTECTED, { token: guess(), from: '127.0.0.2' })).status, 401);

    assert.deepEqual(await failures(guarded.bridge), { missing: 0, wrong: 3, untracked: GUESS_POLICY.failuresBeforeWait, throttled: 2 });
    assert.deepEqual(
      guessLines(guarded).map((line) => [line.client, line.failures]),
      [
        ['127.0.0.1', 1],
        ['127.0.0.2', 1],
        ['other', 1],
      ],
    );
  });

  it('forgets a client once its last failure is old enough, which frees its place in the table', async () => {
    const forgetAfterMs = 300;
    const guarded = await startGuarded({ maxClients: 1, forgetAfterMs });
    assert.equal((await get(guarded.url, PROTECTED, { token: guess(), from: '127.0.0.1' })).status, 401);
    assert.equal((await get(guarded.url, PROTECTED, { token: guess(), from: '127.0.0.2' })).status, 401);
    assert.deepEqual(await failures(guarded.bridge), { missing: 0, wrong: 1, untracked: 1, throttled: 0 });
    await sleep(forgetAfterMs + 50);
    assert.equal((await get(guarded.url, PROTECTED, { token: guess(), from: '127.0.0.2' })).status, 401);
    assert.deepEqual(await failures(guarded.bridge), { missing: 0, wrong: 2, untracked: 1, throttled: 0 }, 'tracked on its own');
  });

  it('compares tokens of any length without throwing, and only the exact token matches', () => {
    const matches = tokenMatcher(TOKEN);
    assert.equal(matches(TOKEN), true);
    for (const wrong of ['', 'r', TOKEN.slice(0, -1), `${TOKEN}x`, TOKEN.toUpperCase(), 'x'.repeat(10_000)]) {
      assert.equal(matches(wrong), false, wrong);
    }
  });

  it('tracks an IPv4 client by its address and an IPv6 client by its /64', () => {
    assert.equal(clientKey('203.0.113.7'), '203.0.113.7');
    assert.equal(clientKey('::ffff:203.0.113.7'), '203.0.113.7');
    assert.equal(clientKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd'), '2001:db8:1:2::/64');
    assert.equal(clientKey('2001:db8:1:2::1'), clientKey('2001:db8:1:2:ffff::9'));
    assert.notEqual(clientKey('2001:db8:1:2::1'), clientKey('2001:db8:1:3::1'));
    assert.equal(clientKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(clientKey(undefined), 'unknown');
  });
});
