// Unit: iproute2 argument building and `ip -j` parsing for VIPs and interface facts (recorded output).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addVip, IpCommandError, parseIpJson, primaryAddress, removeVip, showInterface, vipAddArgs, vipDelArgs, type IpRunner } from '../../../../agent/net/vips.js';

// Recorded from `ip -j addr show dev ht3r0` (iproute2 6.1) with a labelled VIP, a /32 VIP and a
// link-local address still tentative; then the same after the veth peer went down.
const ADDR_UP =
  '[{"ifindex":3,"link":"ht3r1","ifname":"ht3r0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"qdisc":"noqueue","operstate":"UP","group":"default","txqlen":1000,"link_type":"ether","address":"02:00:00:03:00:0a","broadcast":"ff:ff:ff:ff:ff:ff","addr_info":[{"family":"inet","local":"10.203.0.1","prefixlen":24,"scope":"global","label":"ht3r0","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet","local":"10.203.9.1","prefixlen":32,"scope":"global","label":"ht3r0","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet","local":"10.203.0.254","prefixlen":24,"scope":"global","secondary":true,"label":"ht3r0:1","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"fd03::fc","prefixlen":64,"scope":"global","nodad":true,"valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"fe80::ff:fe03:a","prefixlen":64,"scope":"link","tentative":true,"valid_life_time":4294967295,"preferred_life_time":4294967295}]}]';
const ADDR_NO_CARRIER = ADDR_UP.replace('"flags":["BROADCAST","MULTICAST","UP","LOWER_UP"]', '"flags":["NO-CARRIER","BROADCAST","MULTICAST","UP","M-DOWN"]').replace(
  '"operstate":"UP"',
  '"operstate":"LOWERLAYERDOWN"',
);
const LO_DOWN =
  '[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK"],"mtu":65536,"qdisc":"noop","operstate":"DOWN","group":"default","txqlen":1000,"link_type":"loopback","address":"00:00:00:00:00:00","broadcast":"00:00:00:00:00:00","addr_info":[]}]';

describe('ip -j parsing', () => {
  test('reads flags, MAC, and every address with label, secondary and tentative marks', () => {
    const [info] = parseIpJson(ADDR_UP);
    assert.ok(info);
    assert.deepEqual([info.ifname, info.ifindex, info.mac, info.mtu, info.up, info.carrier, info.operstate], ['ht3r0', 3, '02:00:00:03:00:0a', 1500, true, true, 'UP']);
    assert.deepEqual(
      info.addresses.map((a) => [a.family, a.address, a.prefix, a.label ?? '-', a.secondary, a.tentative]),
      [
        [4, '10.203.0.1', 24, 'ht3r0', false, false],
        [4, '10.203.9.1', 32, 'ht3r0', false, false],
        [4, '10.203.0.254', 24, 'ht3r0:1', true, false],
        [6, 'fd03::fc', 64, '-', false, false],
        [6, 'fe80::ff:fe03:a', 64, '-', false, true],
      ],
    );
  });

  test('a link without carrier is up but not carrying', () => {
    const [info] = parseIpJson(ADDR_NO_CARRIER);
    assert.deepEqual([info?.up, info?.carrier, info?.operstate], [true, false, 'LOWERLAYERDOWN']);
    const [lo] = parseIpJson(LO_DOWN);
    assert.deepEqual([lo?.up, lo?.carrier, lo?.addresses.length], [false, false, 0]);
  });

  test('empty output is no interfaces, and non-array JSON is an error', () => {
    assert.deepEqual(parseIpJson(''), []);
    assert.throws(() => parseIpJson('{}'), TypeError);
  });
});

describe('primary address', () => {
  const [info] = parseIpJson(ADDR_UP);
  test('IPv4: the first non-secondary address that is not a VIP', () => {
    assert.equal(primaryAddress(info!, 4), '10.203.0.1');
    assert.equal(primaryAddress(info!, 4, ['10.203.0.1']), '10.203.9.1');
  });
  test('IPv6: only a usable link-local address, never a tentative one', () => {
    assert.equal(primaryAddress(info!, 6), undefined);
    const ready = parseIpJson(ADDR_UP.replace('"tentative":true,', ''));
    assert.equal(primaryAddress(ready[0]!, 6), 'fe80::ff:fe03:a');
  });
});

describe('VIP commands', () => {
  test('IPv4 VIPs carry dev and label; IPv6 VIPs are added with nodad and no label', () => {
    assert.deepEqual(vipAddArgs({ address: '192.168.0.174', prefix: 32, dev: 'eth0', label: 'eth0:0' }), ['addr', 'add', '192.168.0.174/32', 'dev', 'eth0', 'label', 'eth0:0']);
    assert.deepEqual(vipAddArgs({ address: 'fd03::fc', prefix: 64, dev: 'eth0', label: 'eth0:0' }), ['-6', 'addr', 'add', 'fd03::fc/64', 'dev', 'eth0', 'nodad']);
    assert.deepEqual(vipDelArgs({ address: 'fd03::fc', prefix: 64, dev: 'eth0' }), ['-6', 'addr', 'del', 'fd03::fc/64', 'dev', 'eth0']);
  });

  const failing =
    (stderr: string): IpRunner =>
    async (args) => {
      throw new IpCommandError(args, 2, stderr);
    };

  test('an address that is already there is "exists", a missing one on removal is "absent"', async () => {
    const vip = { address: '10.0.0.1', prefix: 32, dev: 'eth0' };
    assert.equal(await addVip(vip, failing('Error: ipv4: Address already assigned.\n')), 'exists');
    assert.equal(await addVip(vip, failing('RTNETLINK answers: File exists\n')), 'exists');
    assert.equal(await removeVip(vip, failing('Error: ipv6: address not found.\n')), 'absent');
    assert.equal(await removeVip(vip, failing('RTNETLINK answers: Cannot assign requested address\n')), 'absent');
  });

  test('any other failure is an IpCommandError naming the command and the kernel message', async () => {
    await assert.rejects(addVip({ address: '10.0.0.1', prefix: 32, dev: 'eth9' }, failing('Cannot find device "eth9"\n')), {
      name: 'IpCommandError',
      message: 'ip addr add 10.0.0.1/32 dev eth9 failed: Cannot find device "eth9"',
    });
  });

  test('showInterface asks for one device and fails clearly when ip lists none', async () => {
    const seen: string[][] = [];
    const info = await showInterface('ht3r0', async (args) => {
      seen.push([...args]);
      return { stdout: ADDR_UP, stderr: '' };
    });
    assert.deepEqual(seen, [['-j', 'addr', 'show', 'dev', 'ht3r0']]);
    assert.equal(info.ifname, 'ht3r0');
    await assert.rejects(showInterface('ht3r0', async () => ({ stdout: '[]', stderr: '' })), /does not exist/);
  });
});
