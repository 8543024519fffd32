// Input: an instance's track_script / track_interface lines and the current script and link states.
// Output: its tracks (own interface included) and the priority/fault events that align a running router with them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRouter } from '../../../../agent/vrrp/fsm.js';
import { routerConfig } from '../../../../agent/vrrp/instance.js';
import { healthEvents, instanceHealth, trackedFor } from '../../../../agent/runtime/tracking.js';
import type { CheckStatus } from '../../../../agent/checks/hysteresis.js';
import { BASIC, instance } from './support.js';

const SCRIPTS = 'vrrp_script chk_a {\n script "/bin/true"\n}\nvrrp_script chk_w {\n script "/bin/true"\n weight -30\n}\n';
const inst = instance(`${BASIC}\n track_script {\n chk_a\n chk_w\n }\n track_interface {\n eth1 weight 10\n }`, 'VI_1', SCRIPTS);
const status = (m: Record<string, CheckStatus | 'disabled'>) => (n: string) => m[n] ?? 'init';

describe('trackedFor', () => {
  test("lists the scripts, the instance's own interface with weight 0, and track_interface entries", () => {
    const t = trackedFor(inst, status({ chk_a: 'up', chk_w: 'down' }), status({ eth0: 'up', eth1: 'down' }) as (n: string) => CheckStatus);
    assert.deepEqual(t, [
      { source: 'script:chk_a', weight: 0, reverse: false, status: 'up' },
      { source: 'script:chk_w', weight: -30, reverse: false, status: 'down' },
      { source: 'interface:eth0', weight: 0, reverse: false, status: 'up' },
      { source: 'interface:eth1', weight: 10, reverse: false, status: 'down' },
    ]);
  });

  test('leaves out a script that script security disabled (keepalived ignores it)', () => {
    const t = trackedFor(inst, status({ chk_a: 'disabled', chk_w: 'up' }), () => 'up');
    assert.deepEqual(t.map((x) => x.source), ['script:chk_w', 'interface:eth0', 'interface:eth1']);
  });

  test('gives the effective priority and the weight-0 faults', () => {
    const h = instanceHealth(inst, trackedFor(inst, status({ chk_a: 'down', chk_w: 'down' }), () => 'up'));
    assert.deepEqual(h, { priority: 80, faults: ['script:chk_a'], pending: [] });
  });
});

describe('healthEvents', () => {
  const vr = () => createRouter(routerConfig(inst, '10.0.0.2'));

  test('emits the new priority first, then new faults', () => {
    assert.deepEqual(healthEvents(vr(), { priority: 70, faults: ['interface:eth0'], pending: [] }), [
      { type: 'priority-changed', priority: 70 },
      { type: 'fault', source: 'interface:eth0' },
    ]);
  });

  test('clears faults that are gone, but not those still pending nor a sync group fault', () => {
    const r = { ...vr(), faults: ['script:chk_a', 'interface:eth1', 'sync-group:G'] };
    assert.deepEqual(healthEvents(r, { priority: 100, faults: [], pending: ['script:chk_a'] }), [{ type: 'fault-cleared', source: 'interface:eth1' }]);
  });

  test('never changes the priority of the address owner', () => {
    const owner = createRouter(routerConfig({ ...inst, priority: 255 }, '10.0.0.2'));
    assert.deepEqual(healthEvents(owner, { priority: 200, faults: [], pending: [] }), []);
  });
});
