import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const gpp = (args: string[], input?: string) => spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { input, encoding: 'utf8' });
const heartbeat = JSON.stringify(JSON.parse(readFileSync(new URL('../vectors/heartbeat.json', import.meta.url), 'utf8')).cases[0].value);

describe('gpp CLI', () => {
  it('validates a heartbeat from standard input', () => {
    const run = gpp(['validate', 'heartbeat'], heartbeat);
    assert.equal(run.stdout, 'valid heartbeat\n');
    assert.equal(run.status, 0);
  });

  it('explains an invalid payload and exits 1', () => {
    const run = gpp(['validate', 'slow'], '{"kind":"request"}');
    assert.match(run.stderr, /^invalid slow entry at \//);
    assert.equal(run.status, 1);
  });

  it('is the writer\'s check: a runtime a reader would read as "other" is invalid here', () => {
    const run = gpp(['validate', 'heartbeat'], heartbeat.replace('"runtime":"node"', '"runtime":"ruby"'));
    assert.match(run.stderr, /^invalid heartbeat at \/meta\/runtime/);
    assert.equal(run.status, 1);
  });

  it('prints the keys for a hostile name', () => {
    const run = gpp(['key', 'My App', 'web 1:*']);
    assert.equal(run.stdout, 'app: My_App\nslow: pulse:slow:My_App\nerrors: pulse:errors:My_App\nheartbeat: pulse:server:My_App:web_1__\n');
  });

  it('prints usage and exits 2 on unknown commands', () => {
    const run = gpp(['frobnicate']);
    assert.match(run.stderr, /^usage: gpp/);
    assert.equal(run.status, 2);
  });
});
