// Input: random bytes, and valid adverts with random corruption. Output: a packet or a DecodeError, never a throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeAdvert, encodeAdvert, encodeIPv4Datagram, validateAdvert, type Advert } from '../../../../agent/vrrp/packet.js';

const REASONS = new Set(['length', 'ip-header', 'protocol', 'ttl', 'version', 'type', 'checksum', 'auth']);

function assertDecodes(bytes: Uint8Array, family: 4 | 6): void {
  const r = decodeAdvert(bytes, { family, src: 'fe80::1', dst: 'ff02::12', ttl: 255 });
  if (r.ok) {
    // Anything accepted must survive validation against an arbitrary instance without throwing.
    validateAdvert(r.advert, { version: 3, vrid: 1, intervalCs: 100, addresses: ['10.0.0.1'], authType: 1, authPass: 'x' });
  } else assert.ok(REASONS.has(r.reason), r.reason);
}

test('random bytes decode to a packet or a DecodeError with a known reason, never a throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(4 as const, 6 as const), (bytes, family) => {
      assertDecodes(bytes, family);
    }),
    { numRuns: 5000 },
  );
});

test('random IPv4 datagrams carrying protocol 112 never throw either', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), fc.integer({ min: 0, max: 255 }), (payload, ttl) => {
      assertDecodes(encodeIPv4Datagram(payload, { src: '10.0.0.1', dst: '224.0.0.18', ttl }), 4);
    }),
    { numRuns: 3000 },
  );
});

test('a valid advert with any single byte changed is rejected or still decodes, never throws', () => {
  const a: Advert = { version: 2, vrid: 9, priority: 150, intervalCs: 100, addresses: ['10.1.1.1', '10.1.1.2'], authType: 1, authData: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) };
  const good = encodeIPv4Datagram(encodeAdvert(a, { family: 4, src: '10.0.0.1', dst: '224.0.0.18' }), { src: '10.0.0.1', dst: '224.0.0.18' });
  fc.assert(
    fc.property(fc.nat({ max: good.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, x) => {
      const bad = Uint8Array.from(good, (b, i) => (i === at ? b ^ x : b));
      const r = decodeAdvert(bad, { family: 4 });
      // Flipping bits inside the VRRP message must always be caught (checksum or an earlier check).
      if (at >= 20) assert.equal(r.ok, false);
    }),
    { numRuns: 2000 },
  );
});
