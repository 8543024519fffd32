// Unit: `ip -o monitor link` lines and link-state comparison (lines recorded from iproute2 6.1).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { linkStateOf, parseMonitorLine, sameLinkState } from '../../../../agent/net/link-watch.js';
import { parseIpJson } from '../../../../agent/net/vips.js';

describe('ip monitor link lines', () => {
  test('name the interface, without its @peer suffix, and mark deletions', () => {
    const lines: [string, ReturnType<typeof parseMonitorLine>][] = [
      [
        '3: ht3r0@ht3r1: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> mtu 1500 qdisc noqueue state LOWERLAYERDOWN group default \\    link/ether ae:45:78:8e:95:80 brd ff:ff:ff:ff:ff:ff',
        { ifindex: 3, ifname: 'ht3r0', deleted: false },
      ],
      ['2: ht3r1@NONE: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group default \\    link/ether 36:f3:a9:40:cd:f7', { ifindex: 2, ifname: 'ht3r1', deleted: false }],
      ['4: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1400 qdisc pfifo_fast state UP', { ifindex: 4, ifname: 'eth0', deleted: false }],
      ['Deleted 3: ht3r0@NONE: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group default', { ifindex: 3, ifname: 'ht3r0', deleted: true }],
      ['    link/ether 36:f3:a9:40:cd:f7 brd ff:ff:ff:ff:ff:ff', undefined],
    ];
    for (const [line, want] of lines) assert.deepEqual(parseMonitorLine(line), want, line);
  });
});

describe('link state', () => {
  const up = parseIpJson('[{"ifindex":3,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"operstate":"UP","address":"02:00:00:03:00:0a"}]')[0];
  const noCarrier = parseIpJson('[{"ifindex":3,"ifname":"eth0","flags":["NO-CARRIER","BROADCAST","MULTICAST","UP"],"mtu":1500,"operstate":"LOWERLAYERDOWN"}]')[0];

  test('is usable only when up with carrier, and absent when the interface is gone', () => {
    assert.equal(linkStateOf('eth0', up).usable, true);
    assert.deepEqual([linkStateOf('eth0', noCarrier).up, linkStateOf('eth0', noCarrier).usable], [true, false]);
    assert.deepEqual(linkStateOf('eth0', undefined), { ifname: 'eth0', exists: false, ifindex: 0, up: false, carrier: false, operstate: 'ABSENT', usable: false });
  });

  test('changes are detected field by field; the first state is always a change', () => {
    assert.equal(sameLinkState(undefined, linkStateOf('eth0', up)), false);
    assert.equal(sameLinkState(linkStateOf('eth0', up), linkStateOf('eth0', up)), true);
    assert.equal(sameLinkState(linkStateOf('eth0', up), linkStateOf('eth0', noCarrier)), false);
  });
});
