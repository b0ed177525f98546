import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PulseRedisUrlError, parseRedisTarget } from '../src/index.js';

describe('parseRedisTarget: the one reading of REDIS_URL', () => {
  it('takes one URL, or a bare host:port, as a single server', () => {
    assert.deepEqual(parseRedisTarget('redis://10.0.0.1:6380/2'), { cluster: false, url: 'redis://10.0.0.1:6380/2' });
    assert.deepEqual(parseRedisTarget(' 10.0.0.1:6380 '), { cluster: false, url: 'redis://10.0.0.1:6380' });
    assert.deepEqual(parseRedisTarget('rediss://:secret@cache.example.com'), { cluster: false, url: 'rediss://:secret@cache.example.com' });
  });

  it('takes a comma-separated seed list as a cluster, with credentials and TLS for every node', () => {
    assert.deepEqual(parseRedisTarget('127.0.0.1:27001, 127.0.0.1:27002,127.0.0.1'), {
      cluster: true,
      seeds: [
        { host: '127.0.0.1', port: 27001 },
        { host: '127.0.0.1', port: 27002 },
        { host: '127.0.0.1', port: 6379 },
      ],
      tls: false,
    });
    assert.deepEqual(parseRedisTarget('rediss://app:p%40ss@a:7000,rediss://app:p%40ss@b:7000'), {
      cluster: true,
      seeds: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 7000 },
      ],
      username: 'app',
      password: 'p@ss',
      tls: true,
    });
  });

  it('rejects what is not Redis, with one readable line', () => {
    for (const [raw, message] of [
      ['', /empty/],
      [' , ', /empty/],
      ['http://x', /redis:\/\/ or rediss:\/\//],
      ['a:1,http://b:2', /"http:\/\/b:2" must use redis:\/\//],
      ['redis://:one@a:1,redis://:two@b:2', /disagree on credentials/],
      ['redis://a:notaport', /not a redis:\/\/ URL/],
    ] as const) {
      assert.throws(
        () => parseRedisTarget(raw),
        (err: Error) => err instanceof PulseRedisUrlError && message.test(err.message) && !err.message.includes('\n'),
        raw,
      );
    }
  });
});
