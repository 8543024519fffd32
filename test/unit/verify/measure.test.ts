// Input: probe samples around an induced failure. Output: the outage window, expected times, verdicts.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { expectedTakeoverMs, judge, masterDownIntervalMs, measureOutage, skewTimeMs, type ProbeSample } from '../../../cli/verify/measure.js';

const s = (t: number, node: string | null): ProbeSample => ({ t, ok: node !== null || false, node });
const fail = (t: number): ProbeSample => ({ t, ok: false, node: null });

describe('measureOutage', () => {
  test('measures from the old master last answer to the new master first answer', () => {
    const o = measureOutage([s(0, 'h1'), s(10, 'h1'), fail(20), fail(30), s(40, 'h2')], 15, 'h1');
    assert.deepEqual(o, { lastGoodBefore: 10, firstGoodAfter: 40, windowMs: 30, failedSamples: 2, newHolder: 'h2' });
  });
  test('counts answers the old master still gave after the failure was induced', () => {
    const o = measureOutage([s(0, 'h1'), s(10, 'h1'), s(20, 'h1'), fail(30), s(50, 'h2')], 5, 'h1');
    assert.equal(o.lastGoodBefore, 20);
    assert.equal(o.windowMs, 30);
  });
  test('reports no recovery when the new master never answers', () => {
    const o = measureOutage([s(0, 'h1'), fail(10), fail(20)], 5, 'h1');
    assert.equal(o.firstGoodAfter, null);
    assert.equal(o.windowMs, null);
    assert.equal(judge(o, 1000, 500).reason, 'service-never-recovered');
  });
  test('uses the first failure as the switch point when the probe cannot name nodes', () => {
    const o = measureOutage([{ t: 0, ok: true, node: null }, { t: 10, ok: false, node: null }, { t: 25, ok: true, node: null }], 5, null);
    assert.equal(o.windowMs, 25);
  });
  test('has a zero window when nothing failed and the new master answered at once', () => {
    const o = measureOutage([s(0, 'h1'), s(10, 'h2')], 5, 'h1');
    assert.equal(o.windowMs, 10);
    assert.equal(o.failedSamples, 0);
  });
});

describe('expected times', () => {
  test('follow RFC 5798 for priority 99 and a 1 s advert interval', () => {
    assert.equal(skewTimeMs(99, 1000), (157 * 1000) / 256);
    assert.equal(masterDownIntervalMs(99, 1000), 3000 + (157 * 1000) / 256);
  });
  test('differ per failure mode', () => {
    const p = { backupPriority: 99, advertIntervalMs: 1000, checkIntervalMs: 3000, fall: 1 };
    assert.equal(expectedTakeoverMs('stop', p), skewTimeMs(99, 1000));
    assert.equal(expectedTakeoverMs('kill', p), masterDownIntervalMs(99, 1000));
    assert.equal(expectedTakeoverMs('check', p), 3000 + skewTimeMs(99, 1000));
  });
  test('fail an outage longer than expected plus margin, and pass one within it', () => {
    const o = measureOutage([s(0, 'h1'), fail(10), s(4000, 'h2')], 5, 'h1');
    assert.equal(judge(o, 3613, 500).pass, true);
    assert.match(judge(o, 3000, 500).reason, /^outage-too-long: 4000 ms > expected 3000 ms/);
  });
});
