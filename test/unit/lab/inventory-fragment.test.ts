// Input: a lab's subnet, hosts and file paths. Output: the inventory `lab up` writes, which must be a valid
// inventory for `haup deploy` with consecutive hosts paired and one free VIP per pair.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { loadInventoryText } from '../../../cli/inventory/load.js';
import { capacity, formatIpv4, labAddresses, parseCidr } from '../../../cli/lab/addressing.js';
import { inventoryFragment, labPairs, type FragmentLab } from '../../../cli/lab/inventory-fragment.js';

function lab(hosts: number, subnet = '10.254.0.0/24', name = 'lab'): FragmentLab {
  const net = parseCidr(subnet);
  if (typeof net === 'string') throw new Error(net);
  const addresses = labAddresses(net, hosts);
  if (typeof addresses === 'string') throw new Error(addresses);
  const dir = `/var/lib/haup/lab/${name}`;
  return {
    name,
    subnet,
    workstation: addresses.workstation,
    bridge: `hb-${name}`,
    keyPath: `${dir}/id_ed25519`,
    knownHostsPath: `${dir}/known_hosts`,
    nginx: '/usr/sbin/nginx',
    hosts: addresses.hosts.map((address, i) => ({ name: `h${i + 1}`, address, nginxConfig: `${dir}/hosts/h${i + 1}/nginx.conf` })),
  };
}

const load = (l: FragmentLab) => loadInventoryText(inventoryFragment(l), `/var/lib/haup/lab/${l.name}/inventory.yml`, { env: {}, home: '/root' });

describe('the inventory lab up writes', () => {
  test('a two-host lab gives one valid pair h1 master, h2 backup, with no warnings', () => {
    const { model, warnings } = load(lab(2));
    assert.deepEqual(warnings, []);
    assert.equal(model.pairs.length, 1);
    const pair = model.pairs[0]!;
    assert.equal(pair.name, 'web1');
    assert.equal(pair.vrid, 51);
    assert.deepEqual(pair.vips.map((v) => `${v.address}/${v.prefix} ${v.dev} ${v.label}`), ['10.254.0.201/24 eth0 eth0:0']);
    assert.deepEqual([pair.master.host, pair.master.priority, pair.backup.host, pair.backup.priority], ['10.254.0.11', 100, '10.254.0.12', 99]);
    assert.deepEqual(pair.probe, { type: 'http', port: 80, path: '/' });
    const h1 = model.hosts.find((h) => h.id === 'h1');
    assert.deepEqual(h1?.ssh.key, '/var/lib/haup/lab/lab/id_ed25519');
    assert.deepEqual(h1?.ssh.knownHosts, '/var/lib/haup/lab/lab/known_hosts');
    assert.deepEqual(h1?.scripts[0]?.check.start, ['/usr/sbin/nginx', '-c', '/var/lib/haup/lab/lab/hosts/h1/nginx.conf', '-e', '/var/log/nginx/error.log']);
  });

  test('a two-host lab renders the same hosts as inventories/lab.yml apart from the pair name and VIP', () => {
    const fromLab = load(lab(2)).model;
    const example = loadInventoryText(readFileSync('inventories/lab.yml', 'utf8'), 'inventories/lab.yml', { env: {}, home: '/root' }).model;
    const normal = (json: unknown) =>
      JSON.parse(JSON.stringify(json).replaceAll('10.254.0.201', 'VIP').replaceAll('10.254.0.100', 'VIP').replaceAll('web1', 'web'));
    assert.deepEqual(normal(fromLab.hosts), normal(example.hosts));
    assert.deepEqual(normal(fromLab.pairs), normal(example.pairs));
  });

  test('an odd host count leaves the last host out of the pairs and says so', () => {
    const text = inventoryFragment(lab(5));
    const { model } = load(lab(5));
    assert.deepEqual(model.pairs.map((p) => `${p.name}:${p.master.host}/${p.backup.host}:${p.vrid}`), ['web1:10.254.0.11/10.254.0.12:51', 'web2:10.254.0.13/10.254.0.14:52']);
    assert.match(text, /^# Not in a pair .*: h5 10\.254\.0\.15\.$/m);
  });

  test('a one-host lab says that a pair needs two hosts', () => {
    assert.match(inventoryFragment(lab(1)), /A pair needs two hosts: run `haup lab up --hosts 2`/);
    assert.deepEqual(labPairs(lab(1)).pairs, []);
  });

  test('a full /24 pairs only as many hosts as free VIPs remain above the last host', () => {
    const l = lab(200);
    const { pairs, unpaired } = labPairs(l);
    assert.equal(pairs.length, 44); // .210 is the last host; VIPs .211 ... .254
    assert.equal(pairs[0]!.vip, '10.254.0.211/24');
    assert.equal(pairs.at(-1)!.vip, '10.254.0.254/24');
    assert.equal(unpaired.length, 200 - 2 * 44);
    assert.equal(load(l).model.pairs.length, 44);
  });

  test('VIPs never hit a host, the workstation, the network or broadcast address, and the inventory loads', () => {
    fc.assert(
      fc.property(fc.integer({ min: 20, max: 26 }), fc.integer({ min: 0, max: 255 }), fc.nat(), (prefix, third, n) => {
        const subnet = `10.254.${prefix <= 24 ? third - (third % 2 ** (24 - prefix)) : third}.${prefix <= 24 ? 0 : 0}/${prefix}`;
        const net = parseCidr(subnet);
        if (typeof net === 'string') throw new Error(net);
        const hosts = 1 + (n % Math.min(capacity(net), 60));
        const l = lab(hosts, subnet, 'p');
        const { pairs, unpaired } = labPairs(l);
        assert.equal(pairs.length * 2 + unpaired.length, hosts);
        const taken = new Set([formatIpv4(net.network), formatIpv4(net.network + 1), formatIpv4(net.network + 2 ** (32 - prefix) - 1), ...l.hosts.map((h) => h.address)]);
        const vips = pairs.map((p) => p.vip.split('/')[0]!);
        assert.equal(new Set(vips).size, vips.length);
        for (const v of vips) {
          assert.ok(!taken.has(v), `${v} is taken`);
          const value = parseCidr(v);
          assert.ok(typeof value !== 'string' && value.network >>> (32 - prefix) === net.network >>> (32 - prefix), `${v} is outside ${subnet}`);
        }
        if (pairs.length > 0) assert.equal(load(l).model.pairs.length, pairs.length);
      }),
      { numRuns: 60 },
    );
  });
});
