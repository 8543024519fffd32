// Unit: address text <-> bytes conversions.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatIpv4, formatIpv6, formatMac, ipBytes, ipFamily, ipv4Bytes, ipv6Bytes, macBytes } from '../../../../agent/net/address.js';

describe('IP address bytes', () => {
  test('IPv6 text forms give the RFC 4291 bytes', () => {
    const cases: [string, string][] = [
      ['::', '00000000000000000000000000000000'],
      ['::1', '00000000000000000000000000000001'],
      ['ff02::12', 'ff020000000000000000000000000012'],
      ['FE80::A', 'fe80000000000000000000000000000a'],
      ['2001:db8::1:0:0:1', '20010db8000000000001000000000001'],
      ['::ffff:10.203.0.1', '00000000000000000000ffff0acb0001'],
      ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
      ['fe80::1%eth0', 'fe800000000000000000000000000001'],
    ];
    for (const [text, hex] of cases) assert.equal(ipv6Bytes(text).toString('hex'), hex, text);
  });

  test('formatIpv6 compresses the longest zero run (RFC 5952)', () => {
    assert.equal(formatIpv6(ipv6Bytes('1:0:0:2:0:0:0:3')), '1:0:0:2::3');
    assert.equal(formatIpv6(ipv6Bytes('fe80:0:0:0:0:0:0:a')), 'fe80::a');
    assert.equal(formatIpv6(ipv6Bytes('1:0:2:3:4:5:6:7')), '1:0:2:3:4:5:6:7');
  });

  test('any 16 bytes survive formatIpv6 then ipv6Bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => ipv6Bytes(formatIpv6(b)).equals(Buffer.from(b))));
  });

  test('any 4 bytes survive formatIpv4 then ipv4Bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (b) => ipv4Bytes(formatIpv4(b)).equals(Buffer.from(b))));
  });

  test('malformed addresses are rejected with a TypeError naming them', () => {
    for (const bad of ['10.0.0', '10.0.0.256', 'fe80::1::2', '', 'eth0']) assert.throws(() => ipBytes(bad), TypeError, bad);
    assert.equal(ipFamily('10.0.0.1'), 4);
    assert.equal(ipFamily('fe80::1'), 6);
    assert.equal(ipFamily('nope'), undefined);
  });

  test('MAC addresses convert both ways and reject other text', () => {
    assert.equal(formatMac(macBytes('02:00:00:03:00:0A')), '02:00:00:03:00:0a');
    assert.throws(() => macBytes('02:00:00:03:00'), TypeError);
  });
});
