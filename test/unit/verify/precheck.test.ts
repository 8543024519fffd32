// Input: the lab inventory's pair and what its two nodes report. Output: whether verify may fail it over, and who to whom.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { pairHosts, selectPairs } from '../../../cli/verify/select.js';
import { checkTiming, pairCheck, precheckPair, takeoverTiming } from '../../../cli/verify/precheck.js';
import { HaupError } from '../../../cli/errors.js';
import { facts, labModel } from './node-fixtures.js';

const model = await labModel();
const pair = model.pairs[0]!;
const hosts = pairHosts(model, pair);

describe('precheckPair', () => {
  test('lets a healthy pair fail over from the master to the backup', () => {
    const p = precheckPair(pair, hosts, facts({ state: 'MASTER', vip: true }), facts({ state: 'BACKUP' }));
    assert.ok(p.ok);
    assert.deepEqual([p.from.id, p.to.id], ['h1', 'h2']);
  });
  test('fails over from the backup when it holds the VIP of a nopreempt pair', () => {
    const p = precheckPair({ ...pair, preempt: false }, hosts, facts({ state: 'BACKUP' }), facts({ state: 'MASTER', vip: true }));
    assert.ok(p.ok);
    assert.deepEqual([p.from.id, p.to.id], ['h2', 'h1']);
  });
  test('refuses a preempt pair whose backup holds the VIP', () => {
    const p = precheckPair(pair, hosts, facts({ state: 'BACKUP' }), facts({ state: 'MASTER', vip: true }));
    assert.deepEqual(p, { ok: false, problems: ['the VIPs are on the backup h2 although preempt is on: the master h1 should hold them (is its check failing?)'] });
  });
  test('refuses a pair whose backup agent is stopped, naming the node', () => {
    const p = precheckPair(pair, hosts, facts({ state: 'MASTER', vip: true }), facts({ running: false }));
    assert.deepEqual(p, { ok: false, problems: ['h2: the agent is not running'] });
  });
  test('refuses split brain and an unreachable node', () => {
    const split = precheckPair(pair, hosts, facts({ state: 'MASTER', vip: true }), facts({ state: 'MASTER', vip: true }));
    assert.ok(!split.ok && split.problems.includes('split brain: 10.254.0.100 is held by h1 and h2'));
    const gone = precheckPair(pair, hosts, facts({ state: 'MASTER', vip: true }), null);
    assert.ok(!gone.ok && gone.problems.includes('h2: unreachable over SSH'));
  });
  test('refuses a node in FAULT, one still in INIT, and an agent that contradicts the addresses', () => {
    const fault = precheckPair(pair, hosts, facts({ state: 'MASTER', vip: true }), facts({ state: 'FAULT' }));
    assert.ok(!fault.ok && fault.problems.some((x) => /h2: the instance is in FAULT \(master-down-timer\)/.test(x)));
    const init = precheckPair(pair, hosts, facts({ state: 'MASTER', vip: true }), facts({ state: 'INIT' }));
    assert.ok(!init.ok && init.problems.includes('h2: VI_web is INIT, not yet MASTER or BACKUP'));
    const liar = precheckPair(pair, hosts, facts({ state: 'MASTER', vip: false }), facts({ state: 'BACKUP' }));
    assert.ok(!liar.ok && liar.problems.includes('no holder: nobody holds 10.254.0.100'));
  });
  test('refuses a node where keepalived still runs next to the haup agent', () => {
    const p = precheckPair(pair, hosts, facts({ state: 'MASTER', vip: true }), facts({ rivalPid: 4242 }));
    assert.deepEqual(p, { ok: false, problems: ['h2: keepalived (pid 4242) runs there too and also speaks VRRP for the node — stop the daemon the inventory does not use'] });
  });
  test('refuses an agent that does not run the pair', () => {
    const p = precheckPair(pair, hosts, facts({ state: 'MASTER', vip: true }), facts({ instance: 'VI_other' }));
    assert.ok(!p.ok && p.problems.includes('h2: the agent does not run instance VI_web (deploy the inventory first)'));
  });
});

describe('timing inputs', () => {
  test('use what the agents report, else the configuration', () => {
    const t = takeoverTiming(pair, hosts.master, hosts.backup, facts({ state: 'MASTER', effectivePriority: 100 }), facts({ effectivePriority: 90 }));
    assert.equal(t.backupPriority, 90);
    assert.equal(t.advertIntervalMs, 1000);
    assert.deepEqual(takeoverTiming(pair, hosts.master, hosts.backup, null, null).backupPriority, 99);
  });
  test('take the check of the failing node: nginx every 3 s, stepping aside after a 2 s re-check', () => {
    assert.deepEqual(checkTiming(pairCheck(hosts.master, pair)), { intervalMs: 3000, fall: 1, weight: 0, stepAside: true, recheckMs: 2000 });
  });
});

describe('selectPairs', () => {
  test('selects by pair, and by host only where hosts are allowed', () => {
    assert.deepEqual(selectPairs(model, [], { hosts: false }).map((p) => p.name), ['web']);
    assert.deepEqual(selectPairs(model, ['h2'], { hosts: true }).map((p) => p.name), ['web']);
    assert.throws(() => selectPairs(model, ['h2'], { hosts: false }), (e: unknown) => e instanceof HaupError && e.code === 'HAUP_USAGE' && /"h2", which is not a pair/.test(e.message));
  });
});
