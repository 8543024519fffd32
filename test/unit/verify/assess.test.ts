// Input: recorded `ip -j addr` output and node reports. Output: addresses, holders and pair problems.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseAgentStatus, parseIpAddr, vipAddress } from '../../../cli/verify/facts.js';
import { assessPair, describeProblem, type NodeReport } from '../../../cli/verify/assess.js';

const withVip = readFileSync(new URL('../../fixtures/ip/addr-with-vip.json', import.meta.url), 'utf8');

describe('parseIpAddr', () => {
  test('reads addresses with their interface, prefix and label', () => {
    const a = parseIpAddr(withVip).filter((x) => x.ifname === 'eth0');
    assert.deepEqual(a.slice(0, 2), [
      { ifname: 'eth0', address: '10.254.0.11', prefixlen: 24, label: 'eth0', family: 4 },
      { ifname: 'eth0', address: '10.254.0.100', prefixlen: 24, label: 'eth0:0', family: 4 },
    ]);
    assert.ok(a.some((x) => x.address === 'fd00:254::100' && x.family === 6));
  });
  test('returns nothing for garbage instead of throwing', () => {
    assert.deepEqual(parseIpAddr('not json'), []);
    assert.deepEqual(parseIpAddr('{"a":1}'), []);
    assert.deepEqual(parseIpAddr('[null, {"ifname": 3}]'), []);
  });
});

describe('parseAgentStatus and vipAddress', () => {
  test('accepts only a haup agent status', () => {
    assert.equal(parseAgentStatus('{"agent":"other","instances":[]}'), null);
    assert.equal(parseAgentStatus(null), null);
    assert.equal(parseAgentStatus('{'), null);
    assert.ok(parseAgentStatus('{"agent":"haup-agent","instances":[]}'));
  });
  test('compares VIPs without their prefix', () => {
    assert.equal(vipAddress('10.0.0.1/24'), '10.0.0.1');
    assert.equal(vipAddress('FD00::1'), 'fd00::1');
  });
});

describe('assessPair', () => {
  const holder = parseIpAddr(withVip);
  const node = (host: string, role: 'master' | 'backup', addresses = holder, extra: Partial<NodeReport> = {}): NodeReport => ({
    host, role, reachable: true, agentRunning: true, status: null, addresses, ...extra,
  });
  test('is healthy when exactly one node holds the VIP', () => {
    const a = assessPair(['10.254.0.100/24'], [node('h1', 'master'), node('h2', 'backup', [])]);
    assert.equal(a.healthy, true);
    assert.deepEqual(a.holders.get('10.254.0.100'), ['h1']);
  });
  test('flags split brain when both nodes hold the VIP', () => {
    const a = assessPair(['10.254.0.100'], [node('h1', 'master'), node('h2', 'backup')]);
    assert.deepEqual(a.problems, [{ kind: 'split-brain', vip: '10.254.0.100', holders: ['h1', 'h2'] }]);
    assert.equal(describeProblem(a.problems[0]!), 'split brain: 10.254.0.100 is held by h1 and h2');
  });
  test('flags no holder and a stopped agent', () => {
    const a = assessPair(['10.254.0.100'], [node('h1', 'master', [], { agentRunning: false }), node('h2', 'backup', [])]);
    assert.deepEqual(a.problems.map((p) => p.kind), ['agent-down', 'no-holder']);
  });
  test('flags an unreachable node', () => {
    const a = assessPair(['10.254.0.100'], [node('h1', 'master', [], { reachable: false }), node('h2', 'backup')]);
    assert.deepEqual(a.problems, [{ kind: 'unreachable', host: 'h1' }]);
  });
});
