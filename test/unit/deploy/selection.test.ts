// Input: inventories with separate pairs and with pairs that share hosts, plus --limit values. Output: the groups
// deployed together, the hosts each run touches, and the host order (warm: backups first; cold: masters first).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadInventoryText } from '../../../cli/inventory/load.js';
import { componentName, hostOrder, parseLimit, selectComponents } from '../../../cli/deploy/selection.js';
import { HaupError } from '../../../cli/errors.js';

function model(pairs: string) {
  const text = `defaults:
  interface: eth0
  auth: none
  vrrp_version: 3
  ssh: { key: /k, known_hosts: /kh }
pairs:
${pairs}`;
  return loadInventoryText(text, '/tmp/inv.yml', { env: {} }).model;
}

const separate = model(`  - { name: a, vrid: 1, vips: [10.0.0.100], master: { name: h1, host: 10.0.0.1, priority: 100 }, backup: { name: h2, host: 10.0.0.2, priority: 90 } }
  - { name: b, vrid: 2, vips: [10.0.0.101], master: { name: h3, host: 10.0.0.3, priority: 100 }, backup: { name: h4, host: 10.0.0.4, priority: 90 } }
`);

// h2 is the backup of a and the master of c: a and c must go together, one host at a time.
const shared = model(`  - { name: a, vrid: 1, vips: [10.0.0.100], master: { name: h1, host: 10.0.0.1, priority: 100 }, backup: { name: h2, host: 10.0.0.2, priority: 90 } }
  - { name: b, vrid: 2, vips: [10.0.0.101], master: { name: h3, host: 10.0.0.3, priority: 100 }, backup: { name: h4, host: 10.0.0.4, priority: 90 } }
  - { name: c, vrid: 3, vips: [10.0.0.102], master: { name: h2, host: 10.0.0.2, priority: 100 }, backup: { name: h5, host: 10.0.0.5, priority: 90 } }
`);

describe('selectComponents', () => {
  test('makes one group per pair when no host is shared', () => {
    assert.deepEqual(selectComponents(separate, []).map(componentName), ['a', 'b']);
  });
  test('groups pairs that share a host', () => {
    const cs = selectComponents(shared, []);
    assert.deepEqual(cs.map(componentName), ['a+c', 'b']);
    assert.deepEqual(cs[0]?.hosts.map((h) => h.id), ['h1', 'h2', 'h5']);
  });
  test('limits to pairs and to single hosts, by name or address', () => {
    const byPair = selectComponents(separate, ['b']);
    assert.deepEqual(byPair.map(componentName), ['b']);
    assert.deepEqual([...(byPair[0]?.selected ?? [])], ['h3', 'h4']);
    const byHost = selectComponents(separate, parseLimit(['10.0.0.2,h4']));
    assert.deepEqual(byHost.map((c) => [componentName(c), [...c.selected]]), [['a', ['h2']], ['b', ['h4']]]);
  });
  test('rejects names that are neither pairs nor hosts, listing what exists', () => {
    assert.throws(() => selectComponents(separate, ['a', 'zz', 'yy']), (err: unknown) => {
      assert.ok(err instanceof HaupError);
      assert.equal(err.code, 'HAUP_USAGE');
      assert.match(err.message, /"zz", "yy"/);
      assert.deepEqual(err.details, ['pairs: a, b', 'hosts: h1, h2, h3, h4']);
      return true;
    });
  });
});

describe('hostOrder', () => {
  test('puts the backup first on a running pair and the master first on a cold one', () => {
    const [a] = selectComponents(separate, ['a']);
    assert.deepEqual(hostOrder(a!, false).map((h) => h.id), ['h2', 'h1']);
    assert.deepEqual(hostOrder(a!, true).map((h) => h.id), ['h1', 'h2']);
  });
  test('orders a shared group from pure backups to pure masters', () => {
    const [ac] = selectComponents(shared, []);
    assert.deepEqual(hostOrder(ac!, false).map((h) => h.id), ['h5', 'h2', 'h1']);
    assert.deepEqual(hostOrder(ac!, true).map((h) => h.id), ['h1', 'h2', 'h5']);
  });
  test('leaves out hosts that --limit did not select', () => {
    const [a] = selectComponents(separate, ['h1']);
    assert.deepEqual(hostOrder(a!, false).map((h) => h.id), ['h1']);
  });
  test('splits repeated and comma-separated --limit values', () => {
    assert.deepEqual(parseLimit(['a,b', ' c ', '']), ['a', 'b', 'c']);
    assert.deepEqual(parseLimit(undefined), []);
  });
});
