import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  heartbeatSource,
  heartbeatToPulseNode,
  heartbeatValidator,
  isMirroredNode,
  isMirroredNodeJson,
  MIRROR_MARK_JSON,
  type PulseHeartbeat,
  type PulseNode,
  parseQuasarNodeKey,
  pulseNodeToHeartbeat,
  pulseNodeValidator,
  QUASAR_NODE_SCAN_PATTERN,
  quasarNodeKey,
} from '../src/index.js';

interface MappingCase {
  direction: 'heartbeat-to-node' | 'node-to-heartbeat';
  why: string;
  input: unknown;
  expected: unknown;
}

const cases: MappingCase[] = JSON.parse(readFileSync(new URL('../vectors/quasar-mapping.json', import.meta.url), 'utf8')).cases;

describe('vectors/quasar-mapping.json', () => {
  it('covers both directions', () => {
    assert.ok(cases.some((c) => c.direction === 'heartbeat-to-node'));
    assert.ok(cases.some((c) => c.direction === 'node-to-heartbeat'));
  });
  for (const c of cases) {
    it(`${c.direction}: ${c.why}`, () => {
      if (c.direction === 'heartbeat-to-node') {
        const { app, id, heartbeat } = c.input as { app: string; id: string; heartbeat: PulseHeartbeat };
        assert.equal(heartbeatValidator.validate(heartbeat).ok, true, 'the input is a valid heartbeat');
        const node = heartbeatToPulseNode(heartbeat, { app, id });
        assert.deepEqual(node, c.expected);
        // Valid, so no field Zenith's page reads is missing; and its JSON carries the mark the mirror checks for.
        assert.deepEqual(pulseNodeValidator.validate(node), { ok: true, value: node });
        assert.ok(JSON.stringify(node).includes(MIRROR_MARK_JSON));
        assert.equal(isMirroredNode(node), true);
      } else {
        const node = c.input as PulseNode;
        assert.equal(pulseNodeValidator.validate(node).ok, true, 'the input is a valid PulseNode');
        const heartbeat = pulseNodeToHeartbeat(node);
        assert.deepEqual(heartbeat, c.expected);
        assert.deepEqual(heartbeatValidator.validate(heartbeat), { ok: true, value: heartbeat });
        assert.equal(heartbeatSource(heartbeat), 'quasar');
        assert.equal(isMirroredNode(node), false);
      }
    });
  }

  it('every valid PulseNode vector maps to a valid heartbeat, and back to a valid node', () => {
    const nodes = JSON.parse(readFileSync(new URL('../vectors/pulse-node.json', import.meta.url), 'utf8')).cases.filter(
      (c: { valid: boolean }) => c.valid,
    );
    for (const { value } of nodes as { value: PulseNode }[]) {
      const heartbeat = pulseNodeToHeartbeat(value);
      assert.equal(heartbeatValidator.validate(heartbeat).ok, true, value.id);
      assert.equal(pulseNodeValidator.validate(heartbeatToPulseNode(heartbeat, { app: 'a', id: 'b' })).ok, true, value.id);
    }
  });

  it('a GPP SDK heartbeat is of source gpp', () => {
    const { heartbeat } = (cases.find((c) => c.direction === 'heartbeat-to-node') as MappingCase).input as { heartbeat: PulseHeartbeat };
    assert.equal(heartbeatSource(heartbeat), 'gpp');
  });
});

describe('the mirror mark', () => {
  const nodes: { why: string; valid: boolean; value: PulseNode }[] = JSON.parse(
    readFileSync(new URL('../vectors/pulse-node.json', import.meta.url), 'utf8'),
  ).cases;
  const mirrored = (nodes.find((c) => /mirrored by a Pulse bridge/.test(c.why)) as { value: PulseNode }).value;
  const agent = (nodes.find((c) => /the Node agent \(/.test(c.why)) as { value: PulseNode }).value;

  it("is the top of the node's meta, as the mirror writes it", () => {
    assert.equal(isMirroredNodeJson(JSON.stringify(mirrored)), true);
    assert.equal(isMirroredNodeJson(JSON.stringify(agent)), false);
  });

  it("is not a mark nested deeper in an agent's meta, though its text is there", () => {
    for (const meta of [{ app: { gravito_pulse: { mirror: true } } }, { meta: { gravito_pulse: { mirror: true, app: 'a' } } }]) {
      const raw = JSON.stringify({ ...agent, meta });
      assert.ok(raw.includes(MIRROR_MARK_JSON), 'the text is there');
      assert.equal(isMirroredNodeJson(raw), false, raw);
    }
    assert.equal(isMirroredNodeJson(`${JSON.stringify(mirrored).slice(0, -1)}`), false, 'not JSON');
    assert.equal(isMirroredNodeJson(JSON.stringify({ ...mirrored, meta: { gravito_pulse: { mirror: 'true' } } })), false);
  });
});

describe('Quasar node keys', () => {
  it('builds the key Zenith scans, and parses it back', () => {
    const key = quasarNodeKey('checkout', 'web-1-4242');
    assert.equal(key, 'gravito:quasar:node:checkout:web-1-4242');
    assert.equal(QUASAR_NODE_SCAN_PATTERN, 'gravito:quasar:node:*');
    assert.deepEqual(parseQuasarNodeKey(key), { service: 'checkout', id: 'web-1-4242' });
  });

  it('keeps agents\' names as they are: the id may hold ":" (an IPv6 host), the service ends at the first ":"', () => {
    assert.deepEqual(parseQuasarNodeKey('gravito:quasar:node:api:fe80::1-77'), { service: 'api', id: 'fe80::1-77' });
    assert.deepEqual(parseQuasarNodeKey(quasarNodeKey('my app', 'host name-1')), { service: 'my app', id: 'host name-1' });
  });

  it('refuses what cannot round-trip', () => {
    assert.throws(() => quasarNodeKey('a:b', 'x'), RangeError);
    assert.throws(() => quasarNodeKey('', 'x'), RangeError);
    assert.throws(() => quasarNodeKey('a', ''), RangeError);
    for (const key of [
      'gravito:quasar:node:',
      'gravito:quasar:node:svc',
      'gravito:quasar:node:svc:',
      'gravito:quasar:node::id',
      'pulse:server:a:b',
    ]) {
      assert.equal(parseQuasarNodeKey(key), undefined, key);
    }
  });
});
