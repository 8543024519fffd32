// RuntimeInstance timers on a clock the test moves: the Master_Down_Timer never fires before its deadline, and a re-arm or cancel in its last milliseconds wins.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { RuntimeInstance, type InstanceHost } from '../../../../agent/runtime/instance.js';
import type { Event, VirtualRouter } from '../../../../agent/vrrp/fsm-types.js';
import { BASIC, instance } from './support.js';

/** The instance reads `clock.now`; real timers still run, so waits are real but deadlines are the test's. */
function harness() {
  const clock = { now: 1000 };
  const fired: { ev: Event; at: number }[] = [];
  const host: InstanceHost = {
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    clock: () => clock.now,
    socket: () => undefined,
    garp: () => undefined,
    feed: (_inst, ev) => fired.push({ ev, at: clock.now }),
    changed: () => undefined,
  };
  const inst = new RuntimeInstance(instance(BASIC), {} as VirtualRouter, '10.0.0.1', 'test', host);
  return { inst, fired, clock };
}

describe('runtime timers', () => {
  test('a master-down timer waits out its last milliseconds and fires exactly at its deadline', async () => {
    const { inst, fired, clock } = harness();
    inst.armTimer('master-down', 1010);
    clock.now = 1008.5; // what the clock says when the early wake-up (deadline - 2 ms) comes
    await sleep(20);
    assert.deepEqual(fired, [], 'not before the deadline');
    clock.now = 1009.99;
    await sleep(5);
    assert.deepEqual(fired, [], 'not even 10 µs before it');
    clock.now = 1010;
    await sleep(5);
    assert.deepEqual(fired, [{ ev: { type: 'master-down-timer' }, at: 1010 }]);
    await sleep(10);
    assert.equal(fired.length, 1, 'once');
  });

  test('a master-down timer woken long before its deadline sleeps again', async () => {
    const { inst, fired, clock } = harness();
    inst.armTimer('master-down', 1010);
    clock.now = 1001; // e.g. the system clock stepped: Node's wake-up is early by our clock
    await sleep(20);
    assert.deepEqual(fired, []);
    clock.now = 1010;
    await sleep(30);
    assert.equal(fired.length, 1);
  });

  test('cancelling a master-down timer in its last milliseconds stops it', async () => {
    const { inst, fired, clock } = harness();
    inst.armTimer('master-down', 1010);
    clock.now = 1008.5;
    await sleep(20); // now waiting on setImmediate turns, as when an advert arrives just in time
    inst.cancelTimer('master-down');
    clock.now = 1020;
    await sleep(20);
    assert.deepEqual(fired, []);
  });

  test('re-arming a master-down timer in its last milliseconds moves its deadline', async () => {
    const { inst, fired, clock } = harness();
    inst.armTimer('master-down', 1010);
    clock.now = 1008.5;
    await sleep(20);
    inst.armTimer('master-down', 1030); // the master's advert came: a new Master_Down_Interval
    clock.now = 1010;
    await sleep(20);
    assert.deepEqual(fired, [], 'the old deadline passes quietly');
    clock.now = 1030;
    await sleep(40);
    assert.deepEqual(fired, [{ ev: { type: 'master-down-timer' }, at: 1030 }]);
  });

  test('an advert timer fires on its plain timeout', async () => {
    const { inst, fired, clock } = harness();
    inst.armTimer('advert', 1005);
    clock.now = 1005;
    await sleep(30);
    assert.deepEqual(fired, [{ ev: { type: 'advert-timer' }, at: 1005 }]);
  });

  test('cancelTimers stops every pending timer', async () => {
    const { inst, fired } = harness();
    inst.armTimer('master-down', 1005);
    inst.armTimer('advert', 1005);
    inst.cancelTimers();
    await sleep(30);
    assert.deepEqual(fired, []);
  });
});
