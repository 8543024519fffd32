// Input: CIDR text, `ip -j route` output, taken networks. Output: parsed nets, the chosen subnet, host addresses.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  capacity,
  chooseSubnet,
  formatNet,
  labAddresses,
  overlaps,
  parseCidr,
  routeDestinations,
  type Ipv4Net,
} from '../../../cli/lab/addressing.js';

function net(text: string): Ipv4Net {
  const n = parseCidr(text);
  if (typeof n === 'string') throw new Error(n);
  return n;
}

describe('lab addressing', () => {
  test('parses networks and says what is wrong with bad ones', () => {
    assert.equal(formatNet(net('10.254.3.0/24')), '10.254.3.0/24');
    assert.equal(formatNet(net('192.0.2.7')), '192.0.2.7/32');
    assert.match(parseCidr('10.254.3.1/24') as string, /host bits set — use 10\.254\.3\.0\/24/);
    for (const bad of ['10.254.3.0/33', '300.1.1.0/24', 'lab', '10.0.0.0/24/1', '10.0.0/24']) {
      assert.equal(typeof parseCidr(bad), 'string', bad);
    }
  });

  test('detects overlap in both directions', () => {
    assert.ok(overlaps(net('10.0.0.0/8'), net('10.254.0.0/24')));
    assert.ok(overlaps(net('10.254.0.0/24'), net('10.0.0.0/8')));
    assert.ok(overlaps(net('10.254.0.5'), net('10.254.0.0/24')));
    assert.ok(!overlaps(net('10.254.0.0/24'), net('10.254.1.0/24')));
  });

  test('reads route destinations from ip -j route, skipping default and IPv6', () => {
    const json = JSON.stringify([
      { dst: 'default', gateway: '192.0.2.1', dev: 'eth0' },
      { dst: '192.0.2.0/24', dev: 'eth0' },
      { type: 'local', dst: '192.0.2.2', dev: 'eth0', table: 'local' },
      { dst: 'fe80::/64', dev: 'eth0' },
    ]);
    assert.deepEqual(routeDestinations(json).map(formatNet), ['192.0.2.0/24', '192.0.2.2/32']);
    assert.deepEqual(routeDestinations(''), []);
  });

  test('gives the default lab 10.254.0.0/24 when it is free', () => {
    assert.equal(formatNet(chooseSubnet([net('192.0.2.0/24')], { isDefaultLab: true })!), '10.254.0.0/24');
  });

  test('keeps 10.254.0.0/24 for the default lab and gives other labs the next free /24', () => {
    assert.equal(formatNet(chooseSubnet([], { isDefaultLab: false })!), '10.254.1.0/24');
    const taken = [net('10.254.1.0/24'), net('10.254.2.128/25')];
    assert.equal(formatNet(chooseSubnet(taken, { isDefaultLab: false })!), '10.254.3.0/24');
  });

  test('finds nothing when a route covers the whole pool', () => {
    assert.equal(chooseSubnet([net('10.0.0.0/8')], { isDefaultLab: true }), undefined);
  });

  test('numbers the workstation .1 and host I .(10+I)', () => {
    const a = labAddresses(net('10.254.0.0/24'), 3);
    assert.deepEqual(a, { subnet: '10.254.0.0/24', prefix: 24, workstation: '10.254.0.1', hosts: ['10.254.0.11', '10.254.0.12', '10.254.0.13'] });
  });

  test('fits 200 hosts in a /24 but refuses more hosts than a subnet holds', () => {
    const a = labAddresses(net('10.254.0.0/24'), 200);
    assert.equal(typeof a === 'string' ? a : a.hosts.at(-1), '10.254.0.210');
    assert.equal(capacity(net('10.254.0.0/28')), 4);
    assert.match(labAddresses(net('10.254.0.0/28'), 5) as string, /holds at most 4 lab hosts/);
  });

  test('numbers hosts across a /24 boundary in a larger subnet', () => {
    const a = labAddresses(net('10.99.0.0/23'), 250);
    assert.equal(typeof a === 'string' ? a : a.hosts.at(-1), '10.99.1.4');
  });
});
