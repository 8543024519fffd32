// Input: priority, version and Master_Adver_Interval. Output: Skew_Time and Master_Down_Interval in ms, as keepalived computes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { advertInterval, masterDownInterval, skewTime } from '../../../../agent/vrrp/timers.js';

test('VRRPv2 Skew_Time is (256 - priority) / 256 seconds', () => {
  assert.equal(skewTime(2, 100, 100), 609.375);
  assert.equal(skewTime(2, 254, 100), 7.812);
  // keepalived truncates to whole microseconds: 1e6 / 256 = 3906.25 us -> 3906 us.
  assert.equal(skewTime(2, 255, 100), 3.906);
});

test('VRRPv2 Skew_Time does not depend on the advert interval', () => {
  assert.equal(skewTime(2, 100, 300), skewTime(2, 100, 100));
});

test('VRRPv3 Skew_Time scales with Master_Adver_Interval', () => {
  assert.equal(skewTime(3, 100, 100), 609.375);
  assert.equal(skewTime(3, 200, 50), 109.375);
  assert.equal(skewTime(3, 100, 10), 60.937);
});

test('Master_Down_Interval is three intervals plus Skew_Time', () => {
  assert.equal(masterDownInterval(2, 100, 100), 3609.375);
  assert.equal(masterDownInterval(3, 200, 50), 1609.375);
  assert.equal(masterDownInterval(3, 150, 4095), 3 * 40950 + skewTime(3, 150, 4095));
});

test('the advert interval converts centiseconds to milliseconds', () => {
  assert.equal(advertInterval(100), 1000);
  assert.equal(advertInterval(10), 100);
});
