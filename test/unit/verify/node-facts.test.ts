// Input: recorded output of the one-round-trip facts script, `ip` JSON and monitor lines. Output: parsed facts.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseLinkMacs, parseNeighbourEvent, parseNeighbours } from '../../../cli/verify/facts.js';
import { clockOffsetMs, nodeFactsScript, parseClock, parseNodeFacts, usableOffset } from '../../../cli/verify/node-facts.js';
import { ENGINE_PATHS } from '../../../cli/inventory/model.js';

const master = readFileSync(new URL('../../fixtures/verify/facts-master.txt', import.meta.url), 'utf8');
const withVip = readFileSync(new URL('../../fixtures/ip/addr-with-vip.json', import.meta.url), 'utf8');

describe('parseNodeFacts', () => {
  test('reads the running agent, its status, the addresses and the clock of a master', () => {
    const f = parseNodeFacts(master);
    assert.equal(f.running, true);
    assert.equal(f.pid, 13883);
    assert.equal(f.init, 'none');
    assert.equal(f.status?.pid, 13883);
    assert.equal(f.status?.instances[0]?.state, 'MASTER');
    assert.equal(f.staleStatus, null);
    assert.ok(f.addresses.some((a) => a.address === '10.254.1.201'));
    assert.equal(f.macs.get('eth0'), 'f2:6c:70:b8:8c:e5');
    assert.equal(f.clockMs, 1795618689729.365);
  });
  test('keeps a dead agent status file apart, so nobody trusts its MASTER', () => {
    const f = parseNodeFacts(master.replace('pid=13883 alive', 'pid=13883 dead'));
    assert.equal(f.running, false);
    assert.equal(f.status, null);
    assert.equal(f.staleStatus?.instances[0]?.state, 'MASTER');
  });
  test('treats a status file from another pid as not yet written by the running agent', () => {
    const f = parseNodeFacts(master.replace('pid=13883 alive', 'pid=2000 alive'));
    assert.equal(f.running, true);
    assert.equal(f.status, null);
  });
  test('names a live daemon of the other engine', () => {
    assert.equal(parseNodeFacts(master.replace('init=none', 'rival=7496\ninit=none')).rivalPid, 7496);
    assert.equal(parseNodeFacts(master).rivalPid, null);
  });
  test('survives a node without pidfile, status file or ip', () => {
    const f = parseNodeFacts('pid= dead\ninit=systemd\nclock=\nstate-begin\n\nstate-end\naddr-begin\n\naddr-end\n');
    assert.deepEqual([f.pid, f.running, f.init, f.clockMs, f.status, f.addresses.length], [null, false, 'systemd', null, null, 0]);
  });
  test('is produced by a script sh accepts, reading this machine for real', () => {
    const script = nodeFactsScript({ engine: 'haup', paths: { pidfile: '/nonexistent/haup.pid', stateFile: '/nonexistent/state.json' } });
    const f = parseNodeFacts(execFileSync('sh', ['-c', script], { encoding: 'utf8' }));
    assert.equal(f.running, false);
    assert.ok(f.addresses.some((a) => a.address === '127.0.0.1'));
    assert.ok(f.clockMs !== null && Math.abs(f.clockMs - Date.now()) < 5000);
    assert.doesNotThrow(() => execFileSync('sh', ['-n', '-c', nodeFactsScript({ engine: 'keepalived', paths: ENGINE_PATHS.keepalived })]));
  });
});

describe('clocks', () => {
  test('parses date +%s%N with sub-millisecond digits', () => {
    assert.equal(parseClock('1700000000123456789'), 1700000000123.4568);
    assert.equal(parseClock('%N'), null);
    assert.equal(parseClock(null), null);
  });
  test('places a remote reading in the middle of the round trip', () => {
    assert.deepEqual(clockOffsetMs(1105, 1000, 1010), { offsetMs: 100, errorMs: 5 });
    assert.equal(clockOffsetMs(null, 0, 1), null);
  });
  test('ignores an offset smaller than its own error, so synced clocks are not skewed by a slow round trip', () => {
    assert.equal(usableOffset({ offsetMs: 30, errorMs: 45 }), 0);
    assert.equal(usableOffset({ offsetMs: -2000, errorMs: 45 }), -2000);
    assert.equal(usableOffset(undefined), 0);
  });
});

describe('ip parsers', () => {
  test('finds the MAC address of each Ethernet interface', () => {
    const macs = parseLinkMacs(withVip);
    assert.equal(macs.get('eth0'), '6a:61:34:69:4c:9c');
    assert.equal(macs.has('lo'), false);
    assert.equal(parseLinkMacs('garbage').size, 0);
  });
  test('reads neighbour entries, resolved or not', () => {
    const n = parseNeighbours('[{"dst":"10.254.1.201","dev":"hb-t5x","lladdr":"F2:6C:70:B8:8C:E5","state":["REACHABLE"]},{"dst":"10.0.0.9","dev":"x","state":["FAILED"]}]');
    assert.deepEqual(n, [
      { dst: '10.254.1.201', dev: 'hb-t5x', lladdr: 'f2:6c:70:b8:8c:e5', state: ['REACHABLE'] },
      { dst: '10.0.0.9', dev: 'x', lladdr: null, state: ['FAILED'] },
    ]);
    assert.deepEqual(parseNeighbours('nope'), []);
  });
  test('reads ip monitor neigh lines, including deletions and unresolved entries', () => {
    assert.deepEqual(parseNeighbourEvent('10.254.1.201 dev hb-t5x lladdr da:e4:c8:a0:8f:cf STALE '), { deleted: false, dst: '10.254.1.201', dev: 'hb-t5x', lladdr: 'da:e4:c8:a0:8f:cf', state: ['STALE'] });
    assert.deepEqual(parseNeighbourEvent('Deleted 10.254.1.201 dev hb-t5x FAILED'), { deleted: true, dst: '10.254.1.201', dev: 'hb-t5x', lladdr: null, state: ['FAILED'] });
    assert.equal(parseNeighbourEvent('[NEIGH]something else entirely'), null);
  });
});
