// Input: probe samples around an induced failure, VRRP timing. Output: the outage window, expected times, verdicts.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { expectedTakeover, judge, masterDownIntervalMs, measureOutage, skewTimeMs, type ProbeSample, type TakeoverTiming } from '../../../cli/verify/measure.js';

const s = (t: number, node: string | null): ProbeSample => ({ t, ok: node !== null, node });
const fail = (t: number): ProbeSample => ({ t, ok: false, node: null });
const anon = (t: number, ok = true): ProbeSample => ({ t, ok, node: null });

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
  test('does not count the old master answering again as a recovery', () => {
    const o = measureOutage([s(0, 'h1'), fail(10), s(20, 'h1'), s(30, 'h1')], 5, 'h1');
    assert.equal(o.firstGoodAfter, null);
    assert.equal(o.lastGoodBefore, 30);
  });
  test('uses the first failure as the switch point when the probe cannot name nodes', () => {
    const o = measureOutage([anon(0), anon(10, false), anon(25)], 5, null);
    assert.equal(o.windowMs, 25);
  });
  test('sees no interruption when a probe that cannot name nodes never failed (a killed master keeps serving)', () => {
    const o = measureOutage([anon(0), anon(10), anon(20), anon(30)], 15, 'h1');
    assert.deepEqual(o, { lastGoodBefore: 10, firstGoodAfter: 20, windowMs: 10, failedSamples: 0, newHolder: null });
  });
  test('has a small window when nothing failed and the new master answered at once', () => {
    const o = measureOutage([s(0, 'h1'), s(10, 'h2')], 5, 'h1');
    assert.equal(o.windowMs, 10);
    assert.equal(o.failedSamples, 0);
  });
});

describe('expected times', () => {
  const timing = (over: Partial<TakeoverTiming> = {}): TakeoverTiming => ({
    backupPriority: 99,
    masterPriority: 100,
    advertIntervalMs: 1000,
    check: { intervalMs: 3000, fall: 1, weight: 0, stepAside: true, recheckMs: 2000 },
    ...over,
  });
  test('follow RFC 5798 for priority 99 and a 1 s advert interval', () => {
    assert.equal(skewTimeMs(99, 1000), (157 * 1000) / 256);
    assert.equal(masterDownIntervalMs(99, 1000), 3000 + (157 * 1000) / 256);
  });
  test('are Skew_Time for a graceful stop and at most Master_Down_Interval for a kill', () => {
    assert.deepEqual(expectedTakeover('stop', timing()), { ms: skewTimeMs(99, 1000), bound: 'about' });
    assert.deepEqual(expectedTakeover('kill', timing()), { ms: masterDownIntervalMs(99, 1000), bound: 'at-most' });
  });
  test('bound a check that steps aside by one interval, the re-check and Skew_Time', () => {
    assert.deepEqual(expectedTakeover('check', timing()), { ms: 3000 + 2000 + skewTimeMs(99, 1000), bound: 'at-most' });
  });
  test('wait fall runs for a weight 0 check that does not step aside', () => {
    const t = timing({ check: { intervalMs: 2000, fall: 3, weight: 0, stepAside: false, recheckMs: 0 } });
    assert.deepEqual(expectedTakeover('check', t), { ms: 6000 + skewTimeMs(99, 1000), bound: 'at-most' });
  });
  test('wait Master_Down_Interval after a negative weight drops the master below the backup', () => {
    const t = timing({ check: { intervalMs: 1000, fall: 2, weight: -10, stepAside: false, recheckMs: 0 } });
    assert.deepEqual(expectedTakeover('check', t), { ms: 2000 + masterDownIntervalMs(99, 1000), bound: 'at-most' });
  });
  test('say why a check cannot move the VIP', () => {
    const t = timing({ check: { intervalMs: 1000, fall: 1, weight: -1, stepAside: false, recheckMs: 0 } });
    const e = expectedTakeover('check', t);
    assert.equal(e.ms, null);
    assert.match('why' in e ? e.why : '', /leaves the master at priority 99, not below the backup's 99/);
    assert.deepEqual(expectedTakeover('check', timing({ check: null })), { ms: null, why: 'the pair has no check' });
  });
  test('fail an outage longer than expected plus margin, and pass one within it', () => {
    const o = measureOutage([s(0, 'h1'), fail(10), s(4000, 'h2')], 5, 'h1');
    assert.equal(judge(o, 3613, 500).pass, true);
    assert.match(judge(o, 3000, 500).reason, /^outage-too-long: 4000 ms > expected 3000 ms/);
  });
});
