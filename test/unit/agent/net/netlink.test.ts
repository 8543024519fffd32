// Unit: rtnetlink decoding (agent/net/netlink.ts). The fixture is the addon's readInterface answer for a veth
// (MTU 1400, two IPv4 addresses, one with a label, an IPv6 one without DAD and two tentative ones), recorded
// with `ip -j addr show dev tsv0` at the same moment on Linux 6.1 / iproute2 6.1.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import fc from 'fast-check';
import { decodeAddress, decodeInterface, decodeLink, linkEvents, linkFlagNames, parseAttributes, RTM_DELLINK, RTM_NEWLINK, scopeName, splitMessages } from '../../../../agent/net/netlink.js';
import { parseIpJson } from '../../../../agent/net/vips.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/netlink/${name}`, import.meta.url), 'utf8');
const LE = endianness() === 'LE';

/** One netlink message: 16-byte header, then body; lengths in host order. */
function message(type: number, body: Buffer): Buffer {
  const h = Buffer.alloc(16);
  const len = 16 + body.length;
  if (LE) {
    h.writeUInt32LE(len, 0);
    h.writeUInt16LE(type, 4);
  } else {
    h.writeUInt32BE(len, 0);
    h.writeUInt16BE(type, 4);
  }
  return Buffer.concat([h, body, Buffer.alloc(((len + 3) & ~3) - len)]);
}

function attr(type: number, payload: Buffer): Buffer {
  const a = Buffer.alloc(4);
  if (LE) {
    a.writeUInt16LE(4 + payload.length, 0);
    a.writeUInt16LE(type, 2);
  } else {
    a.writeUInt16BE(4 + payload.length, 0);
    a.writeUInt16BE(type, 2);
  }
  const len = 4 + payload.length;
  return Buffer.concat([a, payload, Buffer.alloc(((len + 3) & ~3) - len)]);
}

/** struct ifinfomsg + IFLA_IFNAME (+ IFLA_OPERSTATE). */
function linkBody(ifindex: number, flags: number, ifname: string, operstate?: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(1, 2); // ARPHRD_ETHER (any order: not compared below)
  if (LE) {
    b.writeInt32LE(ifindex, 4);
    b.writeUInt32LE(flags, 8);
  } else {
    b.writeInt32BE(ifindex, 4);
    b.writeUInt32BE(flags, 8);
  }
  const attrs = [attr(3, Buffer.from(`${ifname}\0`))];
  if (operstate !== undefined) attrs.push(attr(16, Buffer.from([operstate])));
  return Buffer.concat([b, ...attrs]);
}

describe('decoding the addon\'s readInterface answer', () => {
  test('gives exactly what ip -j addr show dev gives for the same interface, tentative addresses included', () => {
    const got = decodeInterface(Buffer.from(fixture('veth-read-interface.b64'), 'base64'), 'tsv0');
    const want = parseIpJson(fixture('veth-ip-addr.json'))[0];
    assert.deepEqual(got, want);
    assert.deepEqual(got?.addresses.map((a) => [a.address, a.tentative, a.secondary, a.label ?? '-']), [
      ['10.9.0.1', false, false, 'tsv0'],
      ['10.9.0.7', false, true, 'tsv0:7'],
      ['fd00:9::2', true, false, '-'],
      ['fd00:9::1', false, false, '-'],
      ['fe80::ff:fe00:a', true, false, '-'],
    ]);
  });

  test('is undefined when the answer is about another interface or empty', () => {
    assert.equal(decodeInterface(Buffer.from(fixture('veth-read-interface.b64'), 'base64'), 'eth0'), undefined);
    assert.equal(decodeInterface(Buffer.alloc(0), 'tsv0'), undefined);
  });
});

describe('link messages', () => {
  test('name flags like ip: NO-CARRIER when up without IFF_RUNNING, then the IFF_ names in ip\'s order', () => {
    assert.deepEqual(linkFlagNames(0x1003), ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP']);
    assert.deepEqual(linkFlagNames(0x11043), ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP']);
    assert.deepEqual(linkFlagNames(0x10049), ['LOOPBACK', 'UP', 'LOWER_UP']);
    assert.deepEqual(linkFlagNames(0x1002), ['BROADCAST', 'MULTICAST']);
  });

  test('decode ifindex, name, flags and operstate, and mark RTM_DELLINK as a deletion', () => {
    const buf = Buffer.concat([message(RTM_NEWLINK, linkBody(7, 0x1003, 'eth0', 3)), message(RTM_DELLINK, linkBody(8, 0x1002, 'eth1', 2)), message(3, Buffer.alloc(4))]);
    assert.deepEqual(
      linkEvents(buf).map((e) => [e.ifindex, e.ifname, e.flags, e.operstate, e.deleted]),
      [
        [7, 'eth0', 0x1003, 'LOWERLAYERDOWN', false],
        [8, 'eth1', 0x1002, 'DOWN', true],
      ],
    );
  });

  test('without a name or an operstate attribute are dropped or UNKNOWN', () => {
    const noName = Buffer.alloc(16);
    assert.equal(decodeLink(noName), undefined);
    assert.equal(decodeLink(linkBody(2, 0x1, 'x'))?.operstate, 'UNKNOWN');
    assert.equal(decodeLink(linkBody(2, 0x1, 'x', 42))?.operstate, 'UNKNOWN');
  });
});

describe('framing', () => {
  test('stops at a message whose length runs past the buffer, keeping the ones before it', () => {
    const good = message(RTM_NEWLINK, linkBody(3, 0x1, 'a'));
    const bad = message(RTM_NEWLINK, linkBody(4, 0x1, 'b')).subarray(0, 20);
    assert.equal(splitMessages(Buffer.concat([good, bad])).length, 1);
  });

  test('attribute types drop the nested and byte-order flag bits', () => {
    const a = attr(0x8000 | 3, Buffer.from('x\0'));
    assert.deepEqual([...parseAttributes(a, 0).keys()], [3]);
  });

  test('scope names match ip, others stay numbers', () => {
    assert.deepEqual([0, 200, 253, 254, 255, 17].map(scopeName), ['global', 'site', 'link', 'host', 'nowhere', '17']);
  });

  test('random bytes never throw: they decode to something or to nothing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(16, 17, 20), (bytes, type) => {
        const buf = Buffer.from(bytes);
        const framed = message(type, buf); // well framed, random inside
        linkEvents(framed);
        decodeInterface(Buffer.concat([message(16, linkBody(2, 0x1, 'eth0')), framed]), 'eth0');
        linkEvents(buf);
        decodeInterface(buf, 'eth0');
        decodeAddress(buf);
        decodeLink(buf);
      }),
      { numRuns: 2000 },
    );
  });
});
