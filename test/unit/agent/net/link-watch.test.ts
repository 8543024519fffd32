// Unit: `ip -o monitor link` lines and link-state comparison (lines recorded from iproute2 6.1), and the
// rtnetlink watcher driven by a fake link monitor and reader.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { endianness } from 'node:os';
import { linkStateOf, parseMonitorLine, sameLinkState, watchLinkNetlink, type LinkState } from '../../../../agent/net/link-watch.js';
import { RTM_DELLINK, RTM_NEWLINK } from '../../../../agent/net/netlink.js';
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

describe('watching through the rtnetlink link monitor', () => {
  /** One RTM_NEWLINK / RTM_DELLINK message with ifindex and name (little-endian hosts only, like the fixture tests). */
  function event(type: number, ifindex: number, ifname: string): Buffer {
    const name = Buffer.from(`${ifname}\0`);
    const attrLen = 4 + name.length;
    const attr = Buffer.alloc((attrLen + 3) & ~3);
    attr.writeUInt16LE(attrLen, 0);
    attr.writeUInt16LE(3, 2); // IFLA_IFNAME
    name.copy(attr, 4);
    const body = Buffer.concat([Buffer.alloc(16), attr]);
    body.writeInt32LE(ifindex, 4);
    const h = Buffer.alloc(16);
    h.writeUInt32LE(16 + body.length, 0);
    h.writeUInt16LE(type, 4);
    return Buffer.concat([h, body]);
  }

  function fakeMonitor() {
    const m = {
      onMessages: undefined as ((buf: Buffer) => void) | undefined,
      onError: undefined as ((err: NodeJS.ErrnoException) => void) | undefined,
      refed: true,
      closed: false,
      fd: 3,
      start(onMessages: (buf: Buffer) => void, onError?: (err: NodeJS.ErrnoException) => void) {
        m.onMessages = onMessages;
        m.onError = onError;
      },
      close() {
        m.closed = true;
      },
      ref() {
        m.refed = true;
        return m;
      },
      unref() {
        m.refed = false;
        return m;
      },
    };
    return m;
  }

  const info = (ifindex: number, flags: string[]) =>
    parseIpJson(JSON.stringify([{ ifindex, ifname: 'eth0', flags, mtu: 1500, operstate: flags.includes('LOWER_UP') ? 'UP' : 'DOWN' }]))[0];

  test('reports the first reading, re-reads on events for its interface only, and after lost events; stop closes the socket', async (t) => {
    if (endianness() !== 'LE') {
      t.skip('the hand-made netlink events are little-endian');
      return;
    }
    const mon = fakeMonitor();
    let current = info(3, ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP']);
    let reads = 0;
    const seen: LinkState[] = [];
    const w = watchLinkNetlink('eth0', (s) => seen.push(s), mon, () => (reads++, current), {});
    assert.equal(mon.refed, false, 'the monitor does not keep the event loop alive');
    await Promise.resolve();
    assert.deepEqual(seen.map((s) => s.usable), [true]);

    current = info(3, ['BROADCAST', 'MULTICAST']);
    const before = reads;
    mon.onMessages?.(event(RTM_NEWLINK, 9, 'eth9'));
    assert.equal(reads, before, 'an event about another interface is not read');
    mon.onMessages?.(event(RTM_NEWLINK, 3, 'eth0'));
    assert.deepEqual(seen.map((s) => s.usable), [true, false]);

    current = undefined;
    mon.onMessages?.(event(RTM_DELLINK, 3, 'renamed0')); // same ifindex, other name: a rename away
    assert.deepEqual(seen.at(-1)?.exists, false);

    current = info(4, ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP']);
    mon.onError?.(Object.assign(new Error('recv failed: ENOBUFS'), { code: 'ENOBUFS' }));
    assert.deepEqual([seen.at(-1)?.ifindex, seen.at(-1)?.usable], [4, true]);

    w.stop();
    assert.equal(mon.closed, true);
  });
});
