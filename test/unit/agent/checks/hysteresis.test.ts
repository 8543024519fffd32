// Input: sequences of track-script outcomes and track weights. Output: up/down transitions with rise/fall, effective priority and fault sources (keepalived semantics).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createCheck, health, recordResult, type CheckCounter, type Tracked } from '../../../../agent/checks/hysteresis.js';

function feed(c: CheckCounter, outcomes: boolean[]): { c: CheckCounter; changes: (string | null)[] } {
  const changes: (string | null)[] = [];
  for (const o of outcomes) {
    const r = recordResult(c, o);
    c = r.check;
    changes.push(r.changed);
  }
  return { c, changes };
}

describe('rise/fall counting', () => {
  test('a new script is decided by its first result, whatever rise and fall are', () => {
    assert.deepEqual(feed(createCheck(3, 2), [true]).changes, ['up']);
    assert.deepEqual(feed(createCheck(3, 2), [false]).changes, ['down']);
  });

  test('an up script goes down only after fall failures in a row', () => {
    const { changes } = feed(createCheck(1, 3), [true, false, false, true, false, false, false]);
    assert.deepEqual(changes, ['up', null, null, null, null, null, 'down']);
  });

  test('a down script comes up only after rise successes in a row', () => {
    const { changes } = feed(createCheck(3, 1), [false, true, true, false, true, true, true]);
    assert.deepEqual(changes, ['down', null, null, null, null, null, 'up']);
  });

  test('init_fail starts down, so the first success only counts towards rise', () => {
    const c = createCheck(2, 1, true);
    assert.equal(c.status, 'down');
    assert.deepEqual(feed(c, [true, true]).changes, [null, 'up']);
  });

  test('for any outcomes, the status only changes after rise successes or fall failures in a row', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.array(fc.boolean(), { maxLength: 60 }), (rise, fall, outcomes) => {
        let c = createCheck(rise, fall);
        let run = 0;
        let last: boolean | undefined;
        for (const o of outcomes) {
          run = o === last ? run + 1 : 1;
          last = o;
          const before = c.status;
          const r = recordResult(c, o);
          c = r.check;
          if (r.changed === 'up') assert.ok(before === 'init' || run >= rise);
          if (r.changed === 'down') assert.ok(before === 'init' || run >= fall);
          assert.equal(r.changed !== null, c.status !== before);
        }
      }),
    );
  });
});

describe('effective priority and faults', () => {
  const t = (source: string, weight: number, status: Tracked['status'], reverse = false): Tracked => ({ source, weight, status, reverse });

  test('a positive weight is added while the script is up', () => {
    assert.equal(health(100, [t('script:a', 20, 'up')]).priority, 120);
    assert.equal(health(100, [t('script:a', 20, 'down')]).priority, 100);
  });

  test('a negative weight is subtracted while the script is down', () => {
    assert.equal(health(100, [t('script:a', -30, 'down')]).priority, 70);
    assert.equal(health(100, [t('script:a', -30, 'up')]).priority, 100);
  });

  test('reverse flips the direction of the adjustment', () => {
    assert.equal(health(100, [t('script:a', 20, 'up', true)]).priority, 80);
    assert.equal(health(100, [t('script:a', -30, 'down', true)]).priority, 130);
  });

  test('the result is clamped to 1..254 and never touches the address owner', () => {
    assert.equal(health(250, [t('script:a', 100, 'up')]).priority, 254);
    assert.equal(health(10, [t('script:a', -100, 'down')]).priority, 1);
    assert.equal(health(255, [t('script:a', -100, 'down')]).priority, 255);
  });

  test('a failing weight-0 script is a fault; one without a result yet is pending', () => {
    const h = health(100, [t('script:a', 0, 'down'), t('script:b', 0, 'init'), t('interface:eth1', 0, 'up')]);
    assert.deepEqual(h.faults, ['script:a']);
    assert.deepEqual(h.pending, ['script:b']);
    assert.equal(h.priority, 100);
  });

  test("'weight 0 reverse' faults while the script is up", () => {
    assert.deepEqual(health(100, [t('script:a', 0, 'up', true)]).faults, ['script:a']);
  });
});
