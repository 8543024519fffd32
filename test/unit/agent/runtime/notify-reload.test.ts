// Input: notify lines and a state change; old and new configs on SIGHUP.
// Output: keepalived's notify calls and arguments; which instances keep their state, and which VIPs a master changes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { groupNotifyCalls, instanceNotifyCalls } from '../../../../agent/runtime/notify.js';
import { instanceKey, planReload, vipChanges } from '../../../../agent/runtime/reload-plan.js';
import { BASIC, config, instance } from './support.js';

describe('notify calls', () => {
  const inst = instance(`${BASIC}\n notify_master "/etc/haup/m.sh up"\n notify /etc/haup/n.sh`);

  test('runs notify_master as written, then notify with INSTANCE, name, state and effective priority', () => {
    const calls = instanceNotifyCalls(inst.name, inst.notify, 'master', 90);
    assert.deepEqual(calls.map((c) => [c.script.script, c.args]), [
      ['/etc/haup/m.sh up', []],
      ['/etc/haup/n.sh', ['INSTANCE', 'VI_1', 'MASTER', '90']],
    ]);
  });

  test('runs only notify for a state without its own script (STOP on shutdown)', () => {
    assert.deepEqual(instanceNotifyCalls(inst.name, inst.notify, 'stop', 100).map((c) => c.args), [['INSTANCE', 'VI_1', 'STOP', '100']]);
  });

  test('gives a sync group GROUP, its name, the state and priority 0', () => {
    const c = config(`vrrp_instance A {\n${BASIC}\n}\nvrrp_instance B {\n${BASIC.replace('51', '52').replace('10.0.0.100', '10.0.0.101')}\n}\nvrrp_sync_group G {\n group {\n A\n B\n }\n notify_fault /etc/haup/f.sh\n notify /etc/haup/g.sh\n}\n`);
    const g = c.syncGroups[0];
    assert.ok(g);
    assert.deepEqual(groupNotifyCalls(g.name, g.notify, 'fault').map((x) => [x.script.script, x.args]), [
      ['/etc/haup/f.sh', []],
      ['/etc/haup/g.sh', ['GROUP', 'G', 'FAULT', '0']],
    ]);
  });
});

describe('planReload', () => {
  const a = instance(BASIC, 'A');
  const b = instance(BASIC.replace('51', '52'), 'B');

  test('keeps an instance with the same name, VRID, interface and family even if other settings change', () => {
    const a2 = { ...a, priority: 150, advertInt: 2 };
    const plan = planReload([a, b], [a2]);
    assert.deepEqual(plan.keep, [{ old: a, next: a2 }]);
    assert.deepEqual(plan.remove, [b]);
    assert.deepEqual(plan.add, []);
  });

  test('replaces an instance whose VRID changed (remove the old, add the new)', () => {
    const moved = { ...a, vrid: 60 };
    const plan = planReload([a], [moved]);
    assert.deepEqual([plan.keep.length, plan.remove, plan.add], [0, [a], [moved]]);
    assert.notEqual(instanceKey(a), instanceKey(moved));
  });

  test('changes only the VIPs that differ, a new label counting as a different VIP', () => {
    const old = instance(`${BASIC.replace('    10.0.0.100/24 dev eth0 label eth0:0', '    10.0.0.100/24 dev eth0 label eth0:0\n    10.0.0.101/24')}`);
    const next = instance(`${BASIC.replace('    10.0.0.100/24 dev eth0 label eth0:0', '    10.0.0.100/24 dev eth0 label eth0:1\n    10.0.0.101/24\n    10.0.0.102/24')}`);
    const ch = vipChanges(old, next);
    assert.deepEqual(ch.remove.map((v) => [v.address, v.label]), [['10.0.0.100', 'eth0:0']]);
    assert.deepEqual(ch.add.map((v) => [v.address, v.label]), [['10.0.0.100', 'eth0:1'], ['10.0.0.102', undefined]]);
  });
});
