// Input: raw datagrams as the addon delivers them (keepalived's captured advert, altered copies, random bytes).
// Output: an advert event for the instance with that VRID, or a drop charged to the right instances with a stable reason.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { classifyPacket, MAX_PACKET_AGE_MS, packetArrival, peekVrid, type Receiver } from '../../../../agent/runtime/receive.js';

const FIXTURE = JSON.parse(readFileSync(join(import.meta.dirname, '../../../fixtures/keepalived-adverts/v2-ipv4-pass.json'), 'utf8')) as { ipHex: string; src: string; dst: string };
const datagram = () => Buffer.from(FIXTURE.ipHex, 'hex');

const receiver = (over: Partial<Receiver> & { pass?: string } = {}): Receiver => ({
  name: 'VI_1',
  vrid: 254,
  checkTtl: true,
  expectation: { version: 2, vrid: over.vrid ?? 254, intervalCs: 100, addresses: ['10.203.0.254', '10.203.0.253'], authType: 1, authPass: over.pass ?? '1111' },
  ...over,
});
const packet = (data: Uint8Array, truncated = false) => ({ data, src: FIXTURE.src, dst: FIXTURE.dst, ttl: -1, truncated });

describe('classifyPacket', () => {
  test("turns keepalived's VRRPv2 PASS advert into an advert event for the instance with its VRID", () => {
    const d = classifyPacket(packet(datagram()), 4, [receiver({ name: 'other', vrid: 9 }), receiver()]);
    assert.deepEqual(d, { kind: 'advert', instance: 'VI_1', src: '10.203.0.1', priority: 100, intervalCs: 100 });
  });

  test('charges a password mismatch to that instance only', () => {
    const d = classifyPacket(packet(datagram()), 4, [receiver({ pass: 'wrong' }), receiver({ name: 'other', vrid: 9 })]);
    assert.equal(d.kind, 'drop');
    assert.deepEqual(d.kind === 'drop' && [d.instances, d.reason], [['VI_1'], 'auth']);
  });

  test('charges an unknown VRID to every instance on the socket, and ignores one another socket serves', () => {
    const rs = [receiver({ name: 'a', vrid: 1 }), receiver({ name: 'b', vrid: 2 })];
    const d = classifyPacket(packet(datagram()), 4, rs);
    assert.deepEqual(d.kind === 'drop' && [d.instances, d.reason], [['a', 'b'], 'vrid']);
    assert.deepEqual(classifyPacket(packet(datagram()), 4, rs, new Set([254])), { kind: 'ignore' });
  });

  test('drops a TTL other than 255, except for an instance talking to unicast peers', () => {
    const low = datagram();
    low[8] = 64;
    const d = classifyPacket(packet(low), 4, [receiver()]);
    assert.deepEqual(d.kind === 'drop' && [d.instances, d.reason], [['VI_1'], 'ttl']);
    assert.equal(classifyPacket(packet(low), 4, [receiver({ checkTtl: false })]).kind, 'advert');
  });

  test('drops a bad checksum and a truncated datagram, charged by the VRID byte', () => {
    const bad = datagram();
    bad[27] = (bad[27] as number) ^ 0xff;
    const d = classifyPacket(packet(bad), 4, [receiver(), receiver({ name: 'x', vrid: 7 })]);
    assert.deepEqual(d.kind === 'drop' && [d.instances, d.reason], [['VI_1'], 'checksum']);
    const t = classifyPacket(packet(datagram(), true), 4, [receiver()]);
    assert.deepEqual(t.kind === 'drop' && [t.instances, t.reason], [['VI_1'], 'length']);
  });

  test('reads the VRID byte behind the IPv4 header, and at offset 1 for IPv6', () => {
    assert.equal(peekVrid(datagram(), 4), 254);
    assert.equal(peekVrid(Uint8Array.from([0x31, 42, 100]), 6), 42);
    assert.equal(peekVrid(new Uint8Array(0), 4), undefined);
  });

  test('never throws on random bytes: every packet is an advert, a drop or ignored', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.constantFrom(4 as const, 6 as const), fc.integer({ min: -1, max: 255 }), (bytes, family, ttl) => {
        const d = classifyPacket({ data: bytes, src: family === 4 ? '10.0.0.1' : 'fe80::1', dst: family === 4 ? '224.0.0.18' : 'ff02::12', ttl, truncated: false }, family, [receiver()]);
        return d.kind === 'drop' || d.kind === 'ignore' || d.kind === 'advert';
      }),
      { numRuns: 2000 },
    );
  });
});

// Input: the agent's clock when it read a packet and the age the kernel's receive timestamp gives it.
// Output: when the packet arrived, on the agent's clock (what the Master_Down_Timer counts from).
describe('packetArrival', () => {
  test("places a packet's arrival its kernel-reported age before the read", () => {
    assert.equal(packetArrival(5000, 0.25), 4999.75);
    assert.equal(packetArrival(5000, 40), 4960);
  });

  test('takes an unknown, negative or non-finite age as a packet read the moment it arrived', () => {
    for (const age of [0, -3, Number.NaN, Number.POSITIVE_INFINITY]) assert.equal(packetArrival(5000, age), 5000, `age ${age}`);
  });

  test('caps an implausible age (a clock step between stamp and read) so the arrival is never earlier than the cap', () => {
    assert.equal(packetArrival(5000, MAX_PACKET_AGE_MS), 5000 - MAX_PACKET_AGE_MS);
    assert.equal(packetArrival(5000, 3_600_000), 5000 - MAX_PACKET_AGE_MS);
  });

  test('never places an arrival after the read, nor before read minus the cap', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e9, noNaN: true }), fc.double({ noNaN: false }), (readAt, age) => {
        const at = packetArrival(readAt, age);
        return at <= readAt && at >= readAt - MAX_PACKET_AGE_MS;
      }),
    );
  });
});
