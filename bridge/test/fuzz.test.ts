import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { heartbeatKey, PULSE_EVENTS, type SystemPulseEvent } from '@gravito/pulse-protocol';
import { seededRandom } from '@gravito/pulse-testkit';
import { heartbeat, SseClient, suiteRedisAndBridge, waitFor } from './helpers.js';

const MB = 'x'.repeat(1024 * 1024);

/** 1,000 invalid heartbeats: not JSON, wrong types, NaN, 1 MB strings, __proto__, and hostile key names. */
function fuzzCases(app: string): [key: string, value: string][] {
  const random = seededRandom(4242);
  // biome-ignore lint/suspicious/noExplicitAny: the fuzzer breaks the heartbeat's types on purpose
  const valid = () => heartbeat(app, 'x') as unknown as Record<string, any>;
  const mutations: ((i: number) => [string, string])[] = [
    // not JSON
    (i) => [heartbeatKey(app, `notjson-${i}`), `{"timestamp":${i},`],
    (i) => [heartbeatKey(app, `bytes-${i}`), String.fromCharCode(...Array.from({ length: 40 }, () => Math.floor(random() * 65_536)))],
    (i) => [heartbeatKey(app, `empty-${i}`), ''],
    (i) => [heartbeatKey(app, `nan-${i}`), JSON.stringify(valid()).replace(/"cpu_usage":[0-9.]+/, '"cpu_usage":NaN')],
    (i) => [heartbeatKey(app, `inf-${i}`), JSON.stringify(valid()).replace(/"cpu_usage":[0-9.]+/, '"cpu_usage":Infinity')],
    // wrong types and ranges
    (i) => {
      const hb = valid();
      hb.system.cpu_usage = 'NaN';
      return [heartbeatKey(app, `nanstr-${i}`), JSON.stringify(hb)];
    },
    (i) => {
      const hb = valid();
      hb.system.cpu_usage = 100 + random() * 1e6;
      return [heartbeatKey(app, `range-${i}`), JSON.stringify(hb)];
    },
    (i) => {
      const hb = valid();
      hb.timestamp = String(hb.timestamp);
      return [heartbeatKey(app, `tsstr-${i}`), JSON.stringify(hb)];
    },
    (i) => {
      const hb = valid();
      hb.timestamp = Math.floor(hb.timestamp / 1000); // seconds by mistake
      return [heartbeatKey(app, `seconds-${i}`), JSON.stringify(hb)];
    },
    (i) => {
      const hb = valid();
      hb.system.load_avg = [1, 2];
      return [heartbeatKey(app, `load-${i}`), JSON.stringify(hb)];
    },
    (i) => {
      const hb = valid();
      hb.meta.runtime = 'COBOL 85'; // not a runtime token: an unknown token would be read as "other"
      return [heartbeatKey(app, `runtime-${i}`), JSON.stringify(hb)];
    },
    (i) => {
      const hb = valid();
      delete hb.process;
      return [heartbeatKey(app, `missing-${i}`), JSON.stringify(hb)];
    },
    (i) => [heartbeatKey(app, `array-${i}`), JSON.stringify([valid()])],
    (i) => [heartbeatKey(app, `null-${i}`), 'null'],
    (i) => [heartbeatKey(app, `number-${i}`), String(random())],
    // 1 MB strings
    (i) => {
      const hb = valid();
      hb.system.hostname = MB;
      return [heartbeatKey(app, `mb-${i}`), JSON.stringify(hb)];
    },
    (i) => [heartbeatKey(app, `mbraw-${i}`), MB],
    // prototype pollution attempts
    (i) => [heartbeatKey(app, `proto-${i}`), JSON.stringify(valid()).replace(/^\{/, '{"__proto__":{"polluted":true},')],
    (i) => [
      heartbeatKey(app, `ctor-${i}`),
      JSON.stringify(valid()).replace('"meta":{', '"meta":{"constructor":{"prototype":{"polluted":true}},'),
    ],
    // hostile key names (with an otherwise valid value)
    (i) => [`pulse:server:${app}:id-${i}:extra`, JSON.stringify(valid())],
    (i) => [`pulse:server:${app}-${i}`.concat(i % 2 ? '' : ':'), JSON.stringify(valid())],
    (i) => [`pulse:server:${app}:sp ace-${i}`, JSON.stringify(valid())],
    (i) => [`pulse:server:${app}:glob*?[${i}]`, JSON.stringify(valid())],
    (i) => [`pulse:server:${app}:nl\n${i}\u0000\u202e`, JSON.stringify(valid())],
    (i) => [`pulse:server:${app}:${'l'.repeat(65 + i)}`, JSON.stringify(valid())],
    (i) => [`pulse:server:{${app}}:tag-${i}`, JSON.stringify(valid())],
    (i) => [`pulse:server:${app}:emoji-🚀-${i}`, JSON.stringify(valid())],
  ];
  return Array.from({ length: 1_000 }, (_, i) => (mutations[i % mutations.length] as (i: number) => [string, string])(i));
}

describe('bad input: fuzzed heartbeats are skipped and counted, valid ones still served', () => {
  const suite = suiteRedisAndBridge();

  it('1,000 fuzzed values among valid ones', async () => {
    const { client, bridge } = suite;
    const app = 'fuzz-app';
    const cases = fuzzCases(app);
    assert.equal(new Set(cases.map(([k]) => k)).size, 1_000, 'distinct keys');
    const sse = await SseClient.connect(`${bridge.url}/api/pulse/stream`);
    try {
      await sse.waitFor(PULSE_EVENTS.systemPulse, () => true, 2_000);
      const before = bridge.bridge.monitor.invalid.counts.heartbeat;
      const pipeline = client.pipeline();
      for (const [key, value] of cases) pipeline.set(key, value, 'EX', 60);
      for (let i = 0; i < 50; i++) pipeline.set(heartbeatKey(app, `valid-${i}`), JSON.stringify(heartbeat(app, `valid-${i}`)), 'EX', 60);
      // key-safe names that are JS-special must be plain names to the bridge
      pipeline.set(heartbeatKey('__proto__', 'constructor'), JSON.stringify(heartbeat('__proto__', 'constructor')), 'EX', 60);
      await pipeline.exec();

      const from = sse.events.length;
      const served = await sse.waitFor<SystemPulseEvent>(
        PULSE_EVENTS.systemPulse,
        (e) => e.apps.find((a) => a.app === app)?.servers.length === 50 && e.apps.some((a) => a.app === '__proto__'),
        5_000,
        from,
      );
      const fuzzApp = served.apps.find((a) => a.app === app);
      assert.ok(fuzzApp?.servers.every((s) => s.id.startsWith('valid-') && s.status === 'online'));
      assert.equal(served.apps.find((a) => a.app === '__proto__')?.servers[0]?.id, 'constructor');
      assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');

      await waitFor(() => bridge.bridge.monitor.invalid.counts.heartbeat - before === 1_000, 3_000, '1,000 counted');
      // counted once, not once per poll: a few more polls later the count has not moved
      const ticks = bridge.bridge.monitor.ticks;
      await waitFor(() => bridge.bridge.monitor.ticks >= ticks + 3, 3_000, 'three more polls');
      assert.equal(bridge.bridge.monitor.invalid.counts.heartbeat - before, 1_000);
      const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
      assert.match(metrics, new RegExp(`\\npulse_bridge_invalid_heartbeats_total ${before + 1_000}\\n`));
      assert.match(metrics, /pulse_server_up\{app="__proto__",server="constructor"\} 1/);
      assert.equal(sse.ended, false);

      // a key whose value is fixed is served from then on
      await client.set(heartbeatKey(app, 'notjson-0'), JSON.stringify(heartbeat(app, 'notjson-0')), 'EX', 60);
      await sse.waitFor<SystemPulseEvent>(
        PULSE_EVENTS.systemPulse,
        (e) => e.apps.find((a) => a.app === app)?.servers.some((s) => s.id === 'notjson-0') ?? false,
        3_000,
        from,
      );
    } finally {
      await sse.close();
    }
  });
});
