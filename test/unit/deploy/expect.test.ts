// Input: snapshots of nodes (status file, pidfile liveness, addresses). Output: whether a node is ready after a
// start or reload, whether a pair has converged, and the Master_Down_Interval deploy waits for.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentStatus, InstanceStateName } from '../../../agent/status.js';
import { masterDownIntervalMs, pairVerdict, readyVerdict, type Snapshot } from '../../../cli/deploy/expect.js';
import { loadInventoryText } from '../../../cli/inventory/load.js';

const model = (preempt: boolean, engine = 'haup') =>
  loadInventoryText(
    `defaults: { engine: ${engine}, interface: eth0, auth: none, vrrp_version: 3, preempt: ${preempt}, ssh: { key: /k, known_hosts: /kh } }
pairs:
  - { name: web, vrid: 7, vips: [10.0.0.100/24], master: { name: m, host: 10.0.0.1, priority: 100 }, backup: { name: b, host: 10.0.0.2, priority: 90 } }
`,
    '/tmp/i.yml',
    { env: {} },
  ).model;

function snap(state: InstanceStateName | null, extra: Partial<Omit<Snapshot, 'pid'>> & { hash?: string; pid?: number | null } = {}): Snapshot {
  const status: AgentStatus | null =
    state === null
      ? null
      : ({
          agent: 'haup-agent', version: 't', pid: extra.pid ?? 10, node: 'x', configFile: '/etc/haup/keepalived.conf', configHash: extra.hash ?? 'h1',
          startedAt: '', updatedAt: '', instances: [{ name: 'VI_web', state, lastTransition: state === 'FAULT' ? { from: 'BACKUP', to: 'FAULT', reason: 'check-failed', at: '' } : null }],
        } as unknown as AgentStatus);
  const { hash: _hash, ...rest } = extra;
  return { alive: true, watchAlive: null, status, observed: '', states: '', holds: new Set(), log: [], ...rest, pid: extra.pid === undefined ? 10 : extra.pid };
}

describe('readyVerdict', () => {
  const m = model(true);
  const host = m.hosts[0]!;
  test('is ready when the expected pid runs the pushed config in BACKUP or MASTER', () => {
    assert.deepEqual(readyVerdict(host, snap('BACKUP'), { pid: 10, configHash: 'h1' }), { kind: 'ok' });
    assert.deepEqual(readyVerdict(host, snap('MASTER'), { pid: null, configHash: 'h1' }), { kind: 'ok' });
  });
  test('waits while the status is missing, from another pid, for an older config, INIT or FAULT', () => {
    assert.equal(readyVerdict(host, snap(null), { pid: 10, configHash: 'h1' }).kind, 'wait');
    assert.match((readyVerdict(host, snap('BACKUP', { pid: 9 }), { pid: 10, configHash: 'h1' }) as { why: string }).why, /from pid 9/);
    assert.match((readyVerdict(host, snap('BACKUP', { hash: 'old' }), { pid: 10, configHash: 'h1' }) as { why: string }).why, /still runs config old/);
    assert.equal(readyVerdict(host, snap('INIT'), { pid: 10, configHash: 'h1' }).kind, 'wait');
    assert.match((readyVerdict(host, snap('FAULT'), { pid: 10, configHash: 'h1' }) as { why: string }).why, /VI_web is FAULT \(check-failed\)/);
  });
  test('fails at once when the started process died', () => {
    assert.equal(readyVerdict(host, snap('BACKUP', { watchAlive: false }), { pid: 10, configHash: 'h1' }).kind, 'fail');
  });
  test('only needs a live daemon with keepalived', () => {
    const k = model(true, 'keepalived').hosts[0]!;
    assert.equal(readyVerdict(k, snap(null, { alive: true, pid: 5 }), { pid: 5, configHash: null }).kind, 'ok');
    assert.equal(readyVerdict(k, snap(null, { alive: false, pid: null, watchAlive: null }), { pid: null, configHash: null }).kind, 'wait');
  });
});

describe('pairVerdict', () => {
  const verdict = (preempt: boolean, ms: InstanceStateName, bs: InstanceStateName, masterFirst = false) => {
    const md = model(preempt);
    const [mh, bh] = md.hosts;
    return pairVerdict(md.pairs[0]!, mh!, bh!, new Map([[mh!.id, snap(ms)], [bh!.id, snap(bs)]]), { masterFirst });
  };
  test('with preempt, wants the VIP on the master', () => {
    assert.deepEqual(verdict(true, 'MASTER', 'BACKUP'), { kind: 'ok' });
    const v = verdict(true, 'BACKUP', 'MASTER');
    assert.equal(v.kind, 'wait');
    assert.deepEqual((v as { hosts: string[] }).hosts, ['m', 'b']);
  });
  test('waits only on the master while neither is MASTER after a cold start', () => {
    assert.deepEqual((verdict(false, 'BACKUP', 'BACKUP', true) as { hosts: string[] }).hosts, ['m']);
  });
  test('without preempt on a running pair, accepts either node holding the VIP alone', () => {
    assert.deepEqual(verdict(false, 'BACKUP', 'MASTER'), { kind: 'ok' });
    assert.equal(verdict(false, 'BACKUP', 'MASTER', true).kind, 'wait');
  });
  test('never accepts two masters', () => {
    assert.match((verdict(false, 'MASTER', 'MASTER') as { why: string }).why, /split brain/);
  });
  test('judges keepalived by who holds the VIP', () => {
    const md = model(true, 'keepalived');
    const [mh, bh] = md.hosts;
    const holds = (a: string[]) => snap(null, { holds: new Set(a) });
    assert.deepEqual(pairVerdict(md.pairs[0]!, mh!, bh!, new Map([[mh!.id, holds(['10.0.0.100'])], [bh!.id, holds([])]]), { masterFirst: false }), { kind: 'ok' });
    assert.equal(pairVerdict(md.pairs[0]!, mh!, bh!, new Map([[mh!.id, holds([])], [bh!.id, holds(['10.0.0.100'])]]), { masterFirst: false }).kind, 'wait');
  });
});

describe('masterDownIntervalMs', () => {
  test('is 3 advert intervals plus the skew time (RFC 5798 §6.1)', () => {
    assert.equal(masterDownIntervalMs(1, 100), 3000 + (156 * 1000) / 256);
    assert.equal(masterDownIntervalMs(0.5, 255), 1500 + 500 / 256);
  });
});
