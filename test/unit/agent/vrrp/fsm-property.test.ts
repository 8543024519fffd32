// Input: 2-3 random state machines wired in memory (random priorities, versions, intervals, preempt settings, start times, kills, restarts, faults). Output: after convergence exactly one master, which alone holds the VIPs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareIp } from '../../../../agent/vrrp/ip-address.js';
import { masterDownInterval } from '../../../../agent/vrrp/timers.js';
import type { RouterConfig } from '../../../../agent/vrrp/fsm.js';
import { VrrpSim } from '../support/vrrp-sim.js';
import { config } from './fsm-helpers.js';

const nodeArb = fc.record({
  priority: fc.oneof(fc.integer({ min: 1, max: 254 }), fc.constantFrom(100, 150)),
  preempt: fc.boolean(),
  preemptDelayMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3000 })),
  startAt: fc.integer({ min: 0, max: 4000 }),
});

const disruptionArb = fc.record({
  node: fc.nat({ max: 2 }),
  at: fc.integer({ min: 0, max: 20000 }),
  kind: fc.constantFrom('kill' as const, 'shutdown' as const, 'fault' as const),
  downFor: fc.integer({ min: 0, max: 8000 }),
});

const scenarioArb = fc.record({
  version: fc.constantFrom(2 as const, 3 as const),
  intervalCs: fc.constantFrom(10, 50, 100, 200),
  nodes: fc.array(nodeArb, { minLength: 2, maxLength: 3 }),
  owner: fc.boolean(),
  latency: fc.integer({ min: 0, max: 3 }),
  disruptions: fc.array(disruptionArb, { maxLength: 3 }),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function build(s: Scenario): { sim: VrrpSim; configs: RouterConfig[]; end: number; settled: number } {
  const interval = s.version === 2 ? Math.max(100, s.intervalCs) : s.intervalCs;
  const sim = new VrrpSim(() => s.latency);
  const configs = s.nodes.map((n, i) =>
    config({
      name: `n${i}`,
      version: s.version,
      advertIntervalCs: interval,
      priority: s.owner && i === 0 ? 255 : n.priority,
      initialState: s.owner && i === 0 ? 'master' : 'backup',
      preempt: n.preempt,
      preemptDelayMs: n.preemptDelayMs,
      primaryAddress: `10.0.0.${i + 1}`,
    }),
  );
  configs.forEach((c, i) => {
    sim.add(c.name, c);
    sim.at(s.nodes[i]?.startAt ?? 0, c.name, { type: 'startup' });
  });
  let last = Math.max(...s.nodes.map((n) => n.startAt));
  for (const d of s.disruptions) {
    const name = `n${d.node % s.nodes.length}`;
    const start = (s.nodes[d.node % s.nodes.length]?.startAt ?? 0) + 1;
    const at = Math.max(d.at, start);
    if (d.kind === 'fault') {
      sim.at(at, name, { type: 'fault', source: 'script:chk' });
      sim.at(at + d.downFor, name, { type: 'fault-cleared', source: 'script:chk' });
    } else {
      if (d.kind === 'kill') sim.kill(at, name);
      else sim.at(at, name, { type: 'shutdown' });
      sim.at(at + d.downFor + 1, name, { type: 'startup' });
    }
    last = Math.max(last, at + d.downFor + 1);
  }
  const mdi = masterDownInterval(s.version, 1, interval);
  const maxDelay = Math.max(...s.nodes.map((n) => n.preemptDelayMs));
  const settled = last + 3 * mdi + maxDelay + 2000;
  return { sim, configs, end: settled + 3 * mdi, settled };
}

test('2-3 machines always converge to exactly one master, which alone holds the VIPs', () => {
  fc.assert(
    fc.property(scenarioArb, (s) => {
      const { sim, configs, end, settled } = build(s);
      sim.runUntil(end);
      const masters = sim.masters();
      assert.equal(masters.length, 1, `masters: ${masters.join(',')}`);
      assert.deepEqual(sim.vipHolders(), masters);
      for (const h of sim.holders.filter((x) => x.at >= settled)) {
        assert.ok(h.count <= 1, `VIPs on ${h.count} nodes at ${h.at}`);
        assert.equal(h.masters, 1, `${h.masters} masters at ${h.at}`);
      }
      // With preemption everywhere and distinct priorities, the highest priority must have won.
      const prios = configs.map((c) => c.priority);
      if (configs.every((c) => c.preempt) && new Set(prios).size === prios.length) {
        const best = [...configs].sort((a, b) => b.priority - a.priority || compareIp(b.primaryAddress, a.primaryAddress))[0];
        assert.equal(masters[0], best?.name);
      }
    }),
    { numRuns: 300 },
  );
});

test('add-vips is always followed by send-garp in the same step', () => {
  fc.assert(
    fc.property(scenarioArb, (s) => {
      const { sim, end } = build(s);
      sim.runUntil(end);
      for (const { actions } of sim.actionLog) {
        const add = actions.findIndex((a) => a.type === 'add-vips');
        if (add >= 0) assert.ok(actions.slice(add + 1).some((a) => a.type === 'send-garp'), JSON.stringify(actions));
      }
    }),
    { numRuns: 100 },
  );
});

test('a graceful stop of the master hands over after about Skew_Time, a kill after Master_Down_Interval', () => {
  for (const kind of ['shutdown', 'kill'] as const) {
    const sim = new VrrpSim(() => 1);
    sim.add('a', config({ name: 'a', priority: 150, primaryAddress: '10.0.0.1' }));
    sim.add('b', config({ name: 'b', priority: 100, primaryAddress: '10.0.0.2' }));
    sim.at(0, 'a', { type: 'startup' });
    sim.at(0, 'b', { type: 'startup' });
    sim.runUntil(10000);
    assert.deepEqual(sim.masters(), ['a']);
    if (kind === 'kill') sim.kill(10000.5, 'a');
    else sim.at(10000.5, 'a', { type: 'shutdown' });
    sim.runUntil(20000);
    const took = sim.actionLog.find((l) => l.node === 'b' && l.at > 10000 && l.actions.some((a) => a.type === 'transition' && a.to === 'master'));
    assert.ok(took);
    // a advertises every 1000 ms from the moment it became master; b hears each 1 ms later.
    const aUp = sim.actionLog.find((l) => l.node === 'a' && l.actions.some((x) => x.type === 'transition' && x.to === 'master'))?.at ?? NaN;
    const lastHeard = aUp + Math.floor((10000.5 - aUp) / 1000) * 1000 + 1;
    // Graceful: Skew_Time after the priority-0 goodbye arrives; kill: Master_Down_Interval after the last advert.
    const expected = kind === 'shutdown' ? 10000.5 + 1 + 609.375 : lastHeard + 3609.375;
    assert.equal(took.at, expected, `${kind}: took over at ${took.at}`);
  }
});
