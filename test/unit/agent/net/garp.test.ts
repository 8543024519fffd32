// Unit: GARP and unsolicited NA frames are byte-identical to the ones a real keepalived sent.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeGarp, encodeUnsolicitedNa, icmp6Checksum } from '../../../../agent/net/garp.js';
import { ipv6Bytes, macBytes } from '../../../../agent/net/address.js';

const FIXTURES = join(import.meta.dirname, '../../../fixtures/keepalived-adverts');
interface Frames {
  frames: { vip: string; mac: string; router?: boolean; frameHex: string }[];
}
const load = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Frames;

describe('gratuitous ARP frames', () => {
  // Input: MAC and VIP of each GARP keepalived sent. Output: the same 42 bytes.
  for (const f of load('garp-ipv4.json').frames) {
    test(`equal keepalived's frame for ${f.vip}`, () => {
      assert.equal(encodeGarp(macBytes(f.mac), f.vip).toString('hex'), f.frameHex);
    });
  }

  test('reject a MAC that is not 6 bytes and an address that is not IPv4', () => {
    assert.throws(() => encodeGarp(Buffer.alloc(5), '10.0.0.1'), RangeError);
    assert.throws(() => encodeGarp(Buffer.alloc(6), 'fd03::1'), TypeError);
  });
});

describe('unsolicited neighbour advertisements', () => {
  // Input: MAC, VIP and router flag of each NA keepalived sent. Output: the same 86 bytes.
  for (const f of load('na-ipv6.json').frames) {
    test(`equal keepalived's frame for ${f.vip}`, () => {
      assert.equal(encodeUnsolicitedNa(macBytes(f.mac), f.vip, { router: f.router ?? false }).toString('hex'), f.frameHex);
    });
  }

  test('set the Router flag and still carry a checksum that verifies', () => {
    const frame = encodeUnsolicitedNa(macBytes('02:00:00:00:00:01'), 'fd03::1', { router: true });
    assert.equal(frame[14 + 40 + 4], 0xa0, 'R and O set, S clear');
    // Summing over a message that contains its own checksum gives 0.
    assert.equal(icmp6Checksum(ipv6Bytes('fd03::1'), ipv6Bytes('ff02::1'), frame.subarray(54)), 0);
  });
});
