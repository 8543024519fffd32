// Input: what one failover run observed (times on our clock, probe samples, neighbour entries, restore).
// Output: the result row, its stable reasons, and the report table.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { ProbeSample } from '../../../cli/verify/measure.js';
import { modeResult, notRun, type ModeObservation } from '../../../cli/verify/verdict.js';
import { formatVerify, verifyReport } from '../../../cli/verify/report.js';

const H1 = 'aa:aa:aa:aa:aa:01';
const H2 = 'aa:aa:aa:aa:aa:02';
const T0 = 1_000_000;

/** Probe every 10 ms from T0 - 100: h1 answers until `lastH1`, nothing until `firstH2`, then h2. */
function samples(lastH1: number, firstH2: number, end = 2000): ProbeSample[] {
  const out: ProbeSample[] = [];
  for (let t = -100; t <= end; t += 10) {
    out.push(t <= lastH1 ? { t: T0 + t, ok: true, node: 'h1' } : t >= firstH2 ? { t: T0 + t, ok: true, node: 'h2' } : { t: T0 + t, ok: false, node: null });
  }
  return out;
}

function observation(over: Partial<ModeObservation> = {}): ModeObservation {
  return {
    pair: 'web', mode: 'stop', from: 'h1', to: 'h2', probe: 'http://10.254.0.100:80/',
    expected: { ms: 613, bound: 'about' }, marginMs: 500,
    inducedAt: T0, induceError: null, takeoverAt: T0 + 620, observedAt: T0 + 640, transitionAt: T0 + 620, takeoverTimeoutMs: 4000, interrupted: false,
    samples: samples(10, 650), restoreAt: T0 + 1500,
    neighbour: { before: { dst: '10.254.0.100', dev: 'br', lladdr: H1, state: ['REACHABLE'] }, after: { dst: '10.254.0.100', dev: 'br', lladdr: H2, state: ['STALE'] }, changes: [{ at: T0 + 630, lladdr: H2, state: ['STALE'], deleted: false }], fromMac: H1, toMac: H2 },
    restore: { ok: true, problems: [], holder: 'h1', expectedHolder: 'h1', preempt: true, agentStartedAt: T0 + 1600, backAt: T0 + 1900 },
    ...over,
  };
}

describe('modeResult', () => {
  test('passes a takeover on time with a short outage, the GARP seen and the VIP back', () => {
    const r = modeResult(observation());
    assert.equal(r.status, 'pass');
    assert.deepEqual(r.reasons, []);
    assert.deepEqual([r.takeoverMs, r.agentTransitionMs, r.observedMs], [620, 620, 640]);
    assert.deepEqual(r.outage, { ms: 640, failedSamples: 63, lastGoodMs: 10, firstGoodMs: 650, newHolder: 'h2' });
    assert.deepEqual([r.garp.checked, r.garp.updated, r.garp.atMs], [true, true, 630]);
    assert.equal(r.restore?.backMs, 300);
  });
  test('fails a late takeover and a long outage with the numbers in the reason', () => {
    const r = modeResult(observation({ takeoverAt: T0 + 1300, samples: samples(10, 1400) }));
    assert.deepEqual(r.reasons, ['takeover-late: 1300 ms > expected 613 ms + margin 500 ms', 'outage-too-long: 1390 ms > expected 613 ms + margin 500 ms']);
  });
  test('fails when the backup never took over, and says so before anything else', () => {
    const r = modeResult(observation({ takeoverAt: null, transitionAt: null, observedAt: null, samples: samples(10, 99_999) }));
    assert.deepEqual(r.reasons, ['no-takeover: h2 did not become MASTER holding the VIPs within 4000 ms']);
    assert.equal(formatVerify(verifyReport([r], 500))[1]?.includes('-'), true);
  });
  test('fails when this machine still sends the VIP traffic to the old MAC', () => {
    const o = observation();
    const r = modeResult({ ...o, neighbour: { ...o.neighbour, after: { dst: '10.254.0.100', dev: 'br', lladdr: H1, state: ['STALE'] }, changes: [] } });
    assert.deepEqual(r.reasons, [`garp-not-seen: this machine's neighbour entry for the VIP is ${H1}, not h2's ${H2}`]);
  });
  test('does not judge GARP where this machine has no neighbour entry for the VIP', () => {
    const o = observation();
    const r = modeResult({ ...o, neighbour: { ...o.neighbour, before: null, after: null, changes: [] } });
    assert.equal(r.status, 'pass');
    assert.match(r.garp.note, /^n\/a: no neighbour entry/);
  });
  test('fails a run whose restore failed or did not run, and an interrupted run', () => {
    const bad = modeResult(observation({ restore: { ok: false, problems: ['preempt-not-honoured: h1 did not take the VIPs back'], holder: 'h2', expectedHolder: 'h1', preempt: true, agentStartedAt: T0, backAt: null } }));
    assert.deepEqual(bad.reasons, ['restore-failed: preempt-not-honoured: h1 did not take the VIPs back']);
    assert.deepEqual(modeResult(observation({ restore: null })).reasons, ['restore-failed: the restore did not run']);
    const cut = modeResult(observation({ interrupted: true, takeoverAt: null, transitionAt: null, observedAt: null }));
    assert.deepEqual(cut.reasons, ['interrupted: stopped before the backup took over']);
  });
  test('reports what the induce script said when it failed', () => {
    const r = modeResult(observation({ induceError: 'h1: exit code 4: haup: the daemon is not running', takeoverAt: null }));
    assert.equal(r.reasons[0], 'induce-failed: h1: exit code 4: haup: the daemon is not running');
  });
});

describe('formatVerify', () => {
  test('prints one row per pair and mode, the reasons under the table, and a summary', () => {
    const ok = modeResult(observation());
    const kill = modeResult(observation({ mode: 'kill', expected: { ms: 3613, bound: 'at-most' }, takeoverAt: T0 + 3300, samples: samples(3305, 3315, 4000), restoreAt: T0 + 4000 }));
    const skipped = notRun('web', 'check', 'skipped', [], { from: 'h1', to: 'h2', probe: 'x' }, { ms: null, why: 'the tcp check guards no service' });
    const pre = notRun('db', 'stop', 'fail', ['pre-check: h4: the agent is not running'], { from: 'h3', to: 'h4', probe: 'x' });
    const lines = formatVerify(verifyReport([ok, kill, skipped, pre], 500));
    assert.match(lines[0] ?? '', /^pair +mode +failover +expected +takeover +client outage +GARP +restore +result$/);
    assert.match(lines[1] ?? '', /^web +stop +h1 -> h2 +613 ms +620 ms +640 ms \(63 failed\) +yes \(\+630 ms\) +back on h1 in 300 ms +pass$/);
    assert.match(lines[2] ?? '', /^web +kill +h1 -> h2 +<= 3613 ms +3300 ms +20 ms \(1 failed\) +yes/);
    assert.match(lines[3] ?? '', /^web +check +h1 -> h2 +- +- +- +- +- +skipped$/);
    assert.match(lines[4] ?? '', /^db +stop +h3 -> h4 .* FAIL$/);
    assert.deepEqual(lines.slice(5), ['web check: skipped: the tcp check guards no service', 'db stop: pre-check: h4: the agent is not running', '1 of 4 check(s) FAILED (margin 500 ms)']);
    assert.equal(verifyReport([ok, skipped], 500).ok, true);
  });
});
