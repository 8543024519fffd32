// Input: lab facts, the kernel's addresses per host, step outcomes. Output: the demo's inventory choice,
// VIP holders and its closing report text.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseInventory } from '../../../cli/demo/inventory-choice.js';
import { findAgentDir } from '../../../cli/demo/preflight.js';
import { describeVip, formatDemoReport, type DemoReport } from '../../../cli/demo/report.js';
import { vipHolders } from '../../../cli/demo/vip-location.js';
import { parseVerifyReport } from '../../../cli/demo/verify-summary.js';
import { parseIpAddr } from '../../../cli/verify/facts.js';

const twoHosts = [{ name: 'h1' }, { name: 'h2' }] as never[];
const lab = { name: 'lab', subnet: '10.254.0.0/24', inventoryPath: '/var/lib/haup/lab/lab/inventory.yml', hosts: twoHosts };
const example = '/repo/inventories/lab.yml';

describe('which inventory the demo deploys', () => {
  test('the default lab on 10.254.0.0/24 deploys inventories/lab.yml, shown relative to the working directory', () => {
    assert.deepEqual(chooseInventory({ lab, example, exampleExists: true, cwd: '/repo' }), { inventory: 'inventories/lab.yml', why: null });
  });

  test('another lab name deploys the inventory that lab wrote, and says why', () => {
    const c = chooseInventory({ lab: { ...lab, name: 't1d', subnet: '10.254.1.0/24', inventoryPath: '/var/lib/haup/lab/t1d/inventory.yml' }, example, exampleExists: true, cwd: '/repo' });
    assert.equal(c.inventory, '/var/lib/haup/lab/t1d/inventory.yml');
    assert.match(c.why ?? '', /written for lab "lab", this is lab "t1d"/);
  });

  test('the default lab on another subnet deploys its own inventory', () => {
    const c = chooseInventory({ lab: { ...lab, subnet: '10.254.7.0/24' }, example, exampleExists: true, cwd: '/elsewhere' });
    assert.equal(c.inventory, lab.inventoryPath);
    assert.match(c.why ?? '', /\/repo\/inventories\/lab\.yml expects 10\.254\.0\.0\/24, this lab got 10\.254\.7\.0\/24/);
  });

  test('without the example file (an installed haup) it deploys the lab inventory', () => {
    assert.equal(chooseInventory({ lab, example, exampleExists: false, cwd: '/repo' }).inventory, lab.inventoryPath);
  });
});

describe('demo preflight', () => {
  test('finds the first folder that holds both agent files', () => {
    const files = new Set(['/a/haup-agent.cjs', '/b/haup-agent.cjs', '/b/haup_raw.node']);
    assert.equal(findAgentDir(['/a', '/b'], (f) => files.has(f)), '/b');
    assert.equal(findAgentDir(['/a'], (f) => files.has(f)), undefined);
  });
});

describe('where the VIP is', () => {
  const addrs = (...ips: string[]) =>
    parseIpAddr(JSON.stringify([{ ifname: 'eth0', addr_info: ips.map((local) => ({ family: 'inet', local, prefixlen: 24 })) }]));

  test('names the hosts whose kernel has the VIP', () => {
    const hosts = [
      { name: 'h1', addresses: addrs('10.254.0.11', '10.254.0.100') },
      { name: 'h2', addresses: addrs('10.254.0.12') },
    ];
    assert.deepEqual(vipHolders(hosts, '10.254.0.100'), ['h1']);
    assert.deepEqual(vipHolders(hosts, '10.254.0.101'), []);
  });

  test('describes the master, the backup, split brain and no holder', () => {
    const v = { pair: 'web', vip: '10.254.0.100', master: 'h1', backup: 'h2', answer: 'haup lab host h1' };
    assert.equal(describeVip({ ...v, holders: ['h1'] }), 'pair web: VIP 10.254.0.100 is on h1 (the master); HTTP answers "haup lab host h1"');
    assert.match(describeVip({ ...v, holders: ['h2'] }), /is on h2 \(the backup\)/);
    assert.match(describeVip({ ...v, holders: ['h1', 'h2'], answer: null }), /is on h1 AND h2 \(split brain\); no HTTP answer/);
    assert.match(describeVip({ ...v, holders: [] }), /is on no host/);
  });
});

describe('the demo report', () => {
  const report: DemoReport = {
    ok: true,
    totalMs: 41_234,
    lab: { name: 'lab', subnet: '10.254.0.0/24', hosts: 2, stateDir: '/var/lib/haup/lab/lab' },
    inventory: 'inventories/lab.yml',
    steps: [
      { name: 'preflight', ms: 3, ok: true, note: 'root' },
      { name: 'haup deploy inventories/lab.yml', ms: 2_345, ok: true, note: '' },
    ],
    vips: [{ pair: 'web', vip: '10.254.0.100', master: 'h1', backup: 'h2', holders: ['h1'], answer: 'haup lab host h1' }],
    failovers: [
      { pair: 'web', mode: 'stop', expectedMs: 613, expectedAtMost: false, takeoverMs: 640, outageMs: 655, status: 'pass', reason: null },
      { pair: 'web', mode: 'kill', expectedMs: 3613, expectedAtMost: false, takeoverMs: null, outageMs: null, status: 'fail', reason: 'no takeover' },
    ],
    cli: 'node dist/cli/haup.js',
    labFate: 'kept',
    masterNs: 'haup-lab-h1',
  };

  test('lists steps with times, where the VIP is, failovers against expected, and how to look around', () => {
    const text = formatDemoReport(report);
    assert.match(text, /^haup demo finished in 41\.2 s: lab "lab" \(2 hosts on 10\.254\.0\.0\/24\), inventory inventories\/lab\.yml$/m);
    assert.match(text, /^ {2}haup deploy inventories\/lab\.yml {3}2\.35 s {3}ok$/m);
    assert.match(text, /^ {2}pair web: VIP 10\.254\.0\.100 is on h1 \(the master\)/m);
    assert.match(text, /^ {4}web {4}stop {3}0\.61 s {5}0\.64 s {5}0\.66 s {10}pass$/m);
    assert.match(text, /^ {4}web {4}kill {3}3\.61 s {5}- {10}- {15}FAIL: no takeover$/m);
    assert.match(text, /^ {2}curl http:\/\/10\.254\.0\.100\/ +# who answers through the VIP$/m);
    assert.match(text, /^ {2}sudo node dist\/cli\/haup\.js lab down +# remove the lab when done$/m);
    assert.match(text, /sudo ip netns exec haup-lab-h1 ip -br addr/);
  });

  test('after --no-keep it says the lab is gone and offers no lab commands', () => {
    const text = formatDemoReport({ ...report, ok: false, labFate: 'removed' });
    assert.match(text, /^haup demo FAILED in/m);
    assert.match(text, /The lab was removed/);
    assert.doesNotMatch(text, /lab down|curl/);
  });

  test('another lab name appears in the lab commands', () => {
    const text = formatDemoReport({ ...report, lab: { ...report.lab, name: 't1d' } });
    assert.match(text, /lab status --name t1d/);
    assert.match(text, /lab down --name t1d/);
  });
});

describe("reading haup verify's JSON report", () => {
  const result = (over: Record<string, unknown>) => ({
    pair: 'web',
    mode: 'kill',
    from: 'h1',
    to: 'h2',
    status: 'pass',
    reasons: [],
    expected: { ms: 3613, bound: 'about', note: null },
    takeoverMs: 3630,
    outage: { ms: 3650, failedSamples: 0, lastGoodMs: -5, firstGoodMs: 3645, newHolder: 'h2' },
    ...over,
  });

  test('turns each pair and mode into a row with expected, takeover and outage', () => {
    const json = JSON.stringify({
      ok: false,
      marginMs: 500,
      results: [
        result({}),
        result({ mode: 'check', expected: { ms: 9000, bound: 'at-most', note: null }, status: 'fail', reasons: ['takeover-late: 9800 ms', 'other'] }),
        result({ mode: 'stop', status: 'skipped', expected: { ms: null, bound: null, note: 'no check configured' }, takeoverMs: null, outage: {} }),
      ],
    });
    assert.deepEqual(
      parseVerifyReport(json),
      [
        { pair: 'web', mode: 'kill', expectedMs: 3613, expectedAtMost: false, takeoverMs: 3630, outageMs: 3650, status: 'pass', reason: null },
        { pair: 'web', mode: 'check', expectedMs: 9000, expectedAtMost: true, takeoverMs: 3630, outageMs: 3650, status: 'fail', reason: 'takeover-late: 9800 ms' },
        { pair: 'web', mode: 'stop', expectedMs: null, expectedAtMost: false, takeoverMs: null, outageMs: null, status: 'skipped', reason: 'no check configured' },
      ],
    );
  });

  test('gives no rows for output that is not a verify report', () => {
    assert.deepEqual(parseVerifyReport(''), []);
    assert.deepEqual(parseVerifyReport('error HAUP_USAGE'), []);
    assert.deepEqual(parseVerifyReport('{"results": 3}'), []);
  });
});
