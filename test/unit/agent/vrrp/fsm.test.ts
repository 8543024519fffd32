// Input: one router state and one event (RFC 5798 §6.4 tables, keepalived 2.2.7 deviations). Output: next state, reason and ordered actions.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRouter, step, type Action } from '../../../../agent/vrrp/fsm.js';
import { backup, config, master, run, types } from './fsm-helpers.js';

const advert = (priority: number, src = '10.0.0.1', intervalCs = 100) => ({ type: 'advert' as const, src, priority, intervalCs });
const started = (actions: Action[], timer: string) => actions.find((a) => a.type === 'start-timer' && a.timer === timer) as { ms: number } | undefined;

describe('Initialize (RFC 5798 §6.4.1)', () => {
  test('startup goes to backup, clears stale VIPs and waits Master_Down_Interval', () => {
    const r = step(createRouter(config()), { type: 'startup' }, 0);
    assert.equal(r.vr.state, 'backup');
    assert.deepEqual(types(r.actions), ['transition:backup:startup', 'remove-vips', 'start-timer:master-down', 'notify']);
    assert.equal(started(r.actions, 'master-down')?.ms, 3609.375);
  });

  test('state MASTER below 255 still starts as backup, as keepalived 2.2.7 does', () => {
    const r = step(createRouter(config({ initialState: 'master' })), { type: 'startup' }, 0);
    assert.equal(r.vr.state, 'backup');
  });

  test('the address owner with state MASTER becomes master at once: advert, VIPs, GARP, timers', () => {
    const r = step(createRouter(config({ priority: 255, initialState: 'master' })), { type: 'startup' }, 0);
    assert.equal(r.vr.state, 'master');
    assert.deepEqual(types(r.actions), ['transition:master:startup-address-owner', 'send-advert', 'add-vips', 'send-garp', 'start-timer:advert', 'start-timer:garp-delay', 'notify']);
    assert.deepEqual(r.actions[1], { type: 'send-advert', priority: 255 });
    assert.deepEqual(r.actions[3], { type: 'send-garp', repeat: 5 });
  });

  test('the address owner with state BACKUP waits like any backup (keepalived)', () => {
    const r = step(createRouter(config({ priority: 255 })), { type: 'startup' }, 0);
    assert.equal(r.vr.state, 'backup');
    assert.equal(started(r.actions, 'master-down')?.ms, 3003.906);
  });

  test('startup with a failing weight-0 check goes to fault and holds no VIPs', () => {
    let vr = createRouter(config());
    vr = step(vr, { type: 'fault', source: 'script:chk_nginx' }, 0).vr;
    const r = step(vr, { type: 'startup' }, 0);
    assert.equal(r.vr.state, 'fault');
    assert.deepEqual(types(r.actions), ['transition:fault:check-failed', 'remove-vips', 'notify']);
  });
});

describe('Backup (RFC 5798 §6.4.2)', () => {
  test('the Master_Down_Timer firing makes it master', () => {
    const vr = backup();
    const r = step(vr, { type: 'master-down-timer' }, 3609.375);
    assert.equal(r.vr.state, 'master');
    assert.deepEqual(types(r.actions), ['transition:master:master-down-timer', 'send-advert', 'add-vips', 'send-garp', 'start-timer:advert', 'start-timer:garp-delay', 'notify']);
  });

  test('a timer event from before the last reset is stale and ignored', () => {
    const vr = run(backup(), [[1000, advert(150)]]).vr;
    const r = step(vr, { type: 'master-down-timer' }, 3609.375);
    assert.equal(r.vr.state, 'backup');
    assert.deepEqual(r.actions, []);
  });

  test('a higher-priority advert resets the Master_Down_Timer and records the master', () => {
    const { vr, actions } = run(backup(), [[1000, advert(150)]]);
    assert.deepEqual(types(actions), ['start-timer:master-down']);
    assert.equal(vr.timers['master-down'], 1000 + 3609.375);
    assert.equal(vr.masterAddress, '10.0.0.1');
  });

  test('an equal-priority advert is accepted too (priority >= local)', () => {
    assert.deepEqual(types(run(backup(), [[1000, advert(100)]]).actions), ['start-timer:master-down']);
  });

  test('with preempt, a lower-priority advert is discarded and the timer runs out', () => {
    const r1 = run(backup(), [[1000, advert(50)]]);
    assert.deepEqual(r1.actions, []);
    assert.equal(r1.vr.timers['master-down'], 3609.375);
    const r2 = step(r1.vr, { type: 'master-down-timer' }, 3609.375);
    assert.equal(r2.vr.state, 'master');
    assert.deepEqual(r2.actions[0], { type: 'transition', from: 'backup', to: 'master', reason: 'lower-priority-advert-preempt', detail: '10.0.0.1' });
  });

  test('with nopreempt, a lower-priority master is accepted', () => {
    const { actions } = run(backup({ preempt: false }), [[1000, advert(50)]]);
    assert.deepEqual(types(actions), ['start-timer:master-down']);
  });

  test('a priority-0 advert shortens the wait to Skew_Time', () => {
    const r = run(backup(), [[1000, advert(0)]]);
    assert.equal(started(r.actions, 'master-down')?.ms, 609.375);
    const m = step(r.vr, { type: 'master-down-timer' }, 1609.375);
    assert.equal(m.vr.lastTransition?.reason, 'priority-zero-advert');
  });

  test('VRRPv3 learns the master\'s advert interval for Master_Down_Interval', () => {
    const r = run(backup({ version: 3 }), [[1000, advert(200, '10.0.0.1', 50)]]);
    assert.equal(r.vr.masterAdverIntervalCs, 50);
    assert.equal(started(r.actions, 'master-down')?.ms, 1500 + 304.687);
  });

  test('VRRPv2 keeps its own interval whatever the advert says', () => {
    assert.equal(run(backup(), [[1000, advert(200, '10.0.0.1', 300)]]).vr.masterAdverIntervalCs, 100);
  });

  test('preempt_delay accepts a lower-priority master until the delay has run out', () => {
    const vr = backup({ preemptDelayMs: 5000 });
    const r1 = run(vr, [[1000, advert(50)]]);
    assert.deepEqual(types(r1.actions), ['start-timer:master-down']);
    assert.equal(r1.vr.preemptAt, 6000);
    assert.deepEqual(types(run(r1.vr, [[4000, advert(50)]]).actions), ['start-timer:master-down']);
    const late = run(r1.vr, [[6500, advert(50)]]);
    assert.deepEqual(late.actions, []);
    assert.equal(late.vr.nextMasterReason, 'lower-priority-advert-preempt');
  });

  test('a higher-priority advert cancels a running preempt delay', () => {
    const r = run(backup({ preemptDelayMs: 5000 }), [[1000, advert(50)], [2000, advert(150)]]);
    assert.equal(r.vr.preemptAt, null);
  });

  test('a priority change moves the running master-down deadline by the Skew_Time difference', () => {
    const r = run(backup(), [[1000, { type: 'priority-changed', priority: 200 }]]);
    assert.equal(r.vr.effectivePriority, 200);
    assert.equal(r.vr.timers['master-down'], 3000 + 218.75);
    assert.equal(started(r.actions, 'master-down')?.ms, 2218.75);
  });

  test('a failing check moves it to fault and stops the timer', () => {
    const r = run(backup(), [[1000, { type: 'fault', source: 'script:chk_nginx' }]]);
    assert.equal(r.vr.state, 'fault');
    assert.deepEqual(types(r.actions), ['transition:fault:check-failed', 'stop-timer:master-down', 'notify']);
  });

  test('shutdown returns to initialize without an advert', () => {
    const r = run(backup(), [[1000, { type: 'shutdown' }]]);
    assert.equal(r.vr.state, 'initialize');
    assert.deepEqual(types(r.actions), ['transition:initialize:shutdown', 'stop-timer:master-down', 'notify']);
  });
});

describe('Master (RFC 5798 §6.4.3)', () => {
  test('the Adver_Timer firing sends an advert and re-arms', () => {
    const vr = master();
    const r = step(vr, { type: 'advert-timer' }, vr.timers.advert as number);
    assert.deepEqual(r.actions, [{ type: 'send-advert', priority: 100 }, { type: 'start-timer', timer: 'advert', ms: 1000 }]);
  });

  test('a higher-priority advert sends it back to backup and releases the VIPs', () => {
    const r = run(master(), [[5000, advert(150, '10.0.0.1')]]);
    assert.equal(r.vr.state, 'backup');
    assert.deepEqual(types(r.actions), ['transition:backup:higher-priority-advert', 'stop-timer:advert', 'stop-timer:garp-delay', 'remove-vips', 'start-timer:master-down', 'notify']);
    assert.equal(r.vr.masterAddress, '10.0.0.1');
  });

  test('equal priority from a greater primary address wins; from a smaller one loses', () => {
    assert.equal(run(master(), [[5000, advert(100, '10.0.0.3')]]).vr.lastTransition?.reason, 'equal-priority-higher-address');
    const stay = run(master(), [[5000, advert(100, '10.0.0.1')]]);
    assert.equal(stay.vr.state, 'master');
  });

  test('a lower-priority advert is answered with an advert and GARPs, as keepalived does', () => {
    const r = run(master(), [[5000, advert(50)]]);
    assert.equal(r.vr.state, 'master');
    assert.deepEqual(types(r.actions), ['send-advert', 'send-garp', 'start-timer:advert']);
  });

  test('a priority-0 advert is answered with an advert and the Adver_Timer reset', () => {
    const r = run(master(), [[5000, advert(0)]]);
    assert.deepEqual(types(r.actions), ['send-advert', 'start-timer:advert']);
  });

  test('VRRPv3: on going backup it takes the new master\'s advertised interval', () => {
    const r = run(master({ version: 3 }), [[5000, advert(150, '10.0.0.1', 25)]]);
    assert.equal(r.vr.masterAdverIntervalCs, 25);
    assert.equal(started(r.actions, 'master-down')?.ms, 750 + 152.343);
  });

  test('two address owners: the local one steps down to 254, a greater address wins', () => {
    const vr = master({ priority: 255, initialState: 'master' });
    const r = run(vr, [[5000, advert(255, '10.0.0.9')]]);
    assert.equal(r.vr.effectivePriority, 254);
    assert.equal(r.vr.state, 'backup');
  });

  test('a fault sends priority 0, releases the VIPs and stops advertising', () => {
    const r = run(master(), [[5000, { type: 'fault', source: 'interface:eth0' }]]);
    assert.equal(r.vr.state, 'fault');
    assert.deepEqual(types(r.actions), ['transition:fault:interface-down', 'stop-timer:advert', 'stop-timer:garp-delay', 'send-advert', 'remove-vips', 'notify']);
    assert.deepEqual(r.actions[3], { type: 'send-advert', priority: 0 });
  });

  test('shutdown sends priority 0 and removes the VIPs', () => {
    const r = run(master(), [[5000, { type: 'shutdown' }]]);
    assert.equal(r.vr.state, 'initialize');
    assert.deepEqual(types(r.actions), ['transition:initialize:shutdown', 'stop-timer:advert', 'stop-timer:garp-delay', 'send-advert', 'remove-vips', 'notify']);
    assert.deepEqual(r.actions.at(-1), { type: 'notify', state: 'stop' });
  });

  test('the delayed GARP burst and the refresh are sent while master', () => {
    const vr = master({ garp: { delayMs: 5000, repeat: 3, refreshMs: 60000, refreshRepeat: 2 } });
    const d = step(vr, { type: 'garp-delay-timer' }, vr.timers['garp-delay'] as number);
    assert.deepEqual(d.actions, [{ type: 'send-garp', repeat: 3 }]);
    const f = step(d.vr, { type: 'garp-refresh-timer' }, vr.timers['garp-refresh'] as number);
    assert.deepEqual(types(f.actions), ['send-garp', 'start-timer:garp-refresh']);
  });

  test('a priority change is advertised with the next advert', () => {
    const vr = run(master(), [[5000, { type: 'priority-changed', priority: 80 }]]).vr;
    assert.deepEqual(step(vr, { type: 'advert-timer' }, vr.timers.advert as number).actions[0], { type: 'send-advert', priority: 80 });
  });
});

describe('Fault (keepalived)', () => {
  test('adverts are ignored in fault', () => {
    const vr = run(backup(), [[1000, { type: 'fault', source: 'script:x' }]]).vr;
    assert.deepEqual(step(vr, advert(0), 2000).actions, []);
  });

  test('it leaves fault only when the last fault source clears', () => {
    const vr = run(backup(), [[1000, { type: 'fault', source: 'script:a' }], [1100, { type: 'fault', source: 'interface:eth0' }]]).vr;
    const one = step(vr, { type: 'fault-cleared', source: 'script:a' }, 2000);
    assert.equal(one.vr.state, 'fault');
    const both = step(one.vr, { type: 'fault-cleared', source: 'interface:eth0' }, 2100);
    assert.equal(both.vr.state, 'backup');
    assert.deepEqual(types(both.actions), ['transition:backup:fault-cleared', 'start-timer:master-down', 'notify']);
  });

  test('an address owner with state MASTER goes straight back to master', () => {
    const vr = run(master({ priority: 255, initialState: 'master' }), [[5000, { type: 'fault', source: 'script:a' }]]).vr;
    assert.equal(step(vr, { type: 'fault-cleared', source: 'script:a' }, 6000).vr.state, 'master');
  });
});

describe('Reload and sync group events', () => {
  test('reload keeps a master master, with no VIP churn', () => {
    const vr = master();
    const r = step(vr, { type: 'reload', config: config({ priority: 120 }), priority: 120 }, 6000);
    assert.equal(r.vr.state, 'master');
    assert.equal(r.vr.effectivePriority, 120);
    assert.deepEqual(r.actions, []);
  });

  test('reload restarts a backup\'s wait so it never takes over because of a reload', () => {
    const r = step(backup(), { type: 'reload', config: config({ advertIntervalCs: 200 }), priority: 100 }, 3000);
    assert.equal(r.vr.state, 'backup');
    assert.equal(started(r.actions, 'master-down')?.ms, 6609.375);
  });

  test('sync-master promotes a backup and sync-backup demotes a master, reason sync-group', () => {
    const up = step(backup(), { type: 'sync-master' }, 1000);
    assert.equal(up.vr.lastTransition?.reason, 'sync-group');
    assert.equal(up.vr.state, 'master');
    const down = step(up.vr, { type: 'sync-backup' }, 2000);
    assert.equal(down.vr.state, 'backup');
    assert.equal(down.vr.lastTransition?.reason, 'sync-group');
  });
});
