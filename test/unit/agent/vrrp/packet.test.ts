// Input: hand-written RFC 3768 / RFC 5798 byte layouts and adverts captured from keepalived 2.2.7. Output: exact bytes, decoded fields, stable drop reasons.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import {
  authDataFromPass,
  decodeAdvert,
  encodeAdvert,
  encodeIPv4Datagram,
  validateAdvert,
  type Advert,
  type AdvertExpectation,
} from '../../../../agent/vrrp/packet.js';
import { readPcap } from '../support/pcap.js';

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (b) => parseInt(b, 16));

// The seed's instance: VRRPv2, VRID 254, priority 100, 1 s, PASS "1111", VIP 192.168.0.174.
// RFC 3768 §5.1: ver/type, vrid, prio, count | auth type, adver int, checksum | addresses | auth data.
// Checksum by hand: 21fe+6401+0101+c0a8+00ae+3131+3131 = 1aab8 -> aab9 -> ~ = 5546.
const SEED_V2 = hex('21 fe 64 01  01 01 55 46  c0 a8 00 ae  31 31 31 31 00 00 00 00');
const seedAdvert: Advert = {
  version: 2, vrid: 254, priority: 100, intervalCs: 100, addresses: ['192.168.0.174'], authType: 1, authData: authDataFromPass('1111'),
};

// RFC 5798 §5.1 IPv4: VRID 51, priority 100, 100 cs, VIP 10.0.0.100, 10.0.0.1 -> 224.0.0.18.
// Pseudo-header 0a00+0001+e000+0012+0070+000c = ea8f; message 3133+6401+0064+0a00+0064 = 9ffc;
// ea8f+9ffc = 18a8b -> 8a8c -> ~ = 7573.
const V3_V4 = hex('31 33 64 01  00 64 75 73  0a 00 00 64');

// RFC 5798 §5.1 IPv6: VRID 1, priority 200, 100 cs, VIP 2001:db8::1, fe80::1 -> ff02::12.
// Pseudo-header fe80+0001+ff02+0012+0018+0070 = 1fe1d; message 3101+c801+0064+2001+0db8+0001 = 12720;
// sum 3253d -> 2540 -> ~ = dabf.
const V3_V6 = hex('31 01 c8 01  00 64 da bf  2001 0db8 0000 0000 0000 0000 0000 0001');

describe('encodeAdvert', () => {
  test('builds the seed VRRPv2 advert byte for byte, PASS data zero padded', () => {
    assert.deepEqual(encodeAdvert(seedAdvert, { family: 4, src: '10.0.0.1', dst: '224.0.0.18' }), SEED_V2);
  });

  test('builds a VRRPv3 IPv4 advert with the pseudo-header checksum', () => {
    const a: Advert = { version: 3, vrid: 51, priority: 100, intervalCs: 100, addresses: ['10.0.0.100'], authType: 0, authData: new Uint8Array(0) };
    assert.deepEqual(encodeAdvert(a, { family: 4, src: '10.0.0.1', dst: '224.0.0.18' }), V3_V4);
  });

  test('builds a VRRPv3 IPv6 advert with the IPv6 pseudo-header checksum', () => {
    const a: Advert = { version: 3, vrid: 1, priority: 200, intervalCs: 100, addresses: ['2001:db8::1'], authType: 0, authData: new Uint8Array(0) };
    assert.deepEqual(encodeAdvert(a, { family: 6, src: 'fe80::1', dst: 'ff02::12' }), V3_V6);
  });

  test('puts a 12-bit centisecond interval into VRRPv3 (4095 cs = 40.95 s)', () => {
    const a: Advert = { version: 3, vrid: 9, priority: 1, intervalCs: 4095, addresses: [], authType: 0, authData: new Uint8Array(0) };
    const m = encodeAdvert(a, { family: 4, src: '1.2.3.4', dst: '224.0.0.18' });
    assert.equal(((m[4] as number) << 8) | (m[5] as number), 0x0fff);
  });

  test('refuses values the wire cannot carry', () => {
    const base: Advert = { version: 2, vrid: 1, priority: 100, intervalCs: 150, addresses: [], authType: 0, authData: new Uint8Array(8) };
    const o = { family: 4 as const, src: '1.1.1.1', dst: '224.0.0.18' };
    assert.throws(() => encodeAdvert(base, o), /whole seconds/);
    assert.throws(() => encodeAdvert({ ...base, intervalCs: 100, vrid: 0 }, o), /vrid/);
    assert.throws(() => encodeAdvert({ ...base, version: 3, intervalCs: 4096 }, o), /interval/);
    assert.throws(() => encodeAdvert({ ...base, intervalCs: 100 }, { ...o, family: 6 }), /IPv4 only/);
  });
});

describe('decodeAdvert', () => {
  const v4 = (payload: Uint8Array, over: Partial<{ ttl: number; src: string; dst: string; protocol: number }> = {}) =>
    encodeIPv4Datagram(payload, { src: over.src ?? '10.0.0.1', dst: over.dst ?? '224.0.0.18', ttl: over.ttl ?? 255, ...(over.protocol ? { protocol: over.protocol } : {}) });

  test('decodes the seed VRRPv2 advert from a full IPv4 datagram', () => {
    const r = decodeAdvert(v4(SEED_V2), { family: 4 });
    assert.ok(r.ok);
    assert.equal(r.advert.version, 2);
    assert.equal(r.advert.vrid, 254);
    assert.equal(r.advert.priority, 100);
    assert.equal(r.advert.intervalCs, 100);
    assert.deepEqual(r.advert.addresses, ['192.168.0.174']);
    assert.equal(r.advert.authType, 1);
    assert.deepEqual(r.advert.authData, authDataFromPass('1111'));
    assert.equal(r.advert.src, '10.0.0.1');
    assert.equal(r.advert.ttl, 255);
  });

  test('decodes the VRRPv3 IPv6 advert with addresses, hop limit and checksum', () => {
    const r = decodeAdvert(V3_V6, { family: 6, src: 'fe80::1', dst: 'ff02::12', ttl: 255 });
    assert.ok(r.ok);
    assert.deepEqual(r.advert.addresses, ['2001:db8::1']);
    assert.equal(r.advert.checksum, 0xdabf);
    assert.equal(r.advert.intervalCs, 100);
  });

  const drops: [string, () => ReturnType<typeof decodeAdvert>, string][] = [
    ['a TTL other than 255', () => decodeAdvert(v4(SEED_V2, { ttl: 64 }), { family: 4 }), 'ttl'],
    ['an IPv6 hop limit other than 255', () => decodeAdvert(V3_V6, { family: 6, src: 'fe80::1', dst: 'ff02::12', ttl: 1 }), 'ttl'],
    ['a flipped bit (VRRPv2 checksum)', () => decodeAdvert(v4(SEED_V2.map((b, i) => (i === 9 ? b ^ 1 : b))), { family: 4 }), 'checksum'],
    ['a VRRPv3 advert whose pseudo-header addresses differ', () => decodeAdvert(v4(V3_V4, { src: '10.0.0.2' }), { family: 4 }), 'checksum'],
    ['an IPv6 advert checked against the wrong source', () => decodeAdvert(V3_V6, { family: 6, src: 'fe80::2', dst: 'ff02::12', ttl: 255 }), 'checksum'],
    ['version 1', () => decodeAdvert(v4(Uint8Array.from(SEED_V2, (b, i) => (i === 0 ? 0x11 : b))), { family: 4 }), 'version'],
    ['VRRPv2 over IPv6', () => decodeAdvert(SEED_V2, { family: 6, src: 'fe80::1', dst: 'ff02::12', ttl: 255 }), 'version'],
    ['packet type 2', () => decodeAdvert(v4(Uint8Array.from(SEED_V2, (b, i) => (i === 0 ? 0x22 : b))), { family: 4 }), 'type'],
    ['a truncated address list', () => decodeAdvert(v4(SEED_V2.subarray(0, 16)), { family: 4 }), 'length'],
    ['trailing bytes after the advert', () => decodeAdvert(v4(Uint8Array.from([...SEED_V2, 0])), { family: 4 }), 'length'],
    ['an IP total length that disagrees with the datagram', () => decodeAdvert(v4(SEED_V2).subarray(0, 30), { family: 4 }), 'length'],
    ['IP protocol 51 (AH)', () => decodeAdvert(v4(SEED_V2, { protocol: 51 }), { family: 4 }), 'protocol'],
    ['a non-IPv4 header', () => decodeAdvert(Uint8Array.from(v4(SEED_V2), (b, i) => (i === 0 ? 0x65 : b)), { family: 4 }), 'ip-header'],
    ['an IPv6 advert without addresses', () => decodeAdvert(V3_V6, { family: 6 }), 'ip-header'],
  ];
  for (const [what, run, reason] of drops) {
    test(`drops ${what} with reason '${reason}'`, () => {
      const r = run();
      assert.equal(r.ok, false);
      if (!r.ok) assert.equal(r.reason, reason);
    });
  }

  test('skips the TTL check when asked (keepalived unicast peers)', () => {
    assert.ok(decodeAdvert(v4(SEED_V2, { ttl: 62 }), { family: 4, checkTtl: false }).ok);
  });

  test('round-trips random valid adverts of every version and family', () => {
    const cases: [Advert, 4 | 6][] = [
      [{ version: 2, vrid: 7, priority: 0, intervalCs: 25500, addresses: ['1.2.3.4', '5.6.7.8'], authType: 0, authData: new Uint8Array(8) }, 4],
      [{ version: 3, vrid: 255, priority: 255, intervalCs: 1, addresses: [], authType: 0, authData: new Uint8Array(0) }, 4],
      [{ version: 3, vrid: 3, priority: 17, intervalCs: 350, addresses: ['fd00::1', '2001:db8:0:1::ff'], authType: 0, authData: new Uint8Array(0) }, 6],
    ];
    for (const [a, family] of cases) {
      const src = family === 4 ? '192.0.2.9' : 'fe80::9';
      const dst = family === 4 ? '224.0.0.18' : 'ff02::12';
      const m = encodeAdvert(a, { family, src, dst });
      const r = family === 4 ? decodeAdvert(encodeIPv4Datagram(m, { src, dst }), { family }) : decodeAdvert(m, { family, src, dst, ttl: 255 });
      assert.ok(r.ok, JSON.stringify(r));
      const { version, vrid, priority, intervalCs, addresses, authType, authData } = r.advert;
      assert.deepEqual({ version, vrid, priority, intervalCs, addresses, authType, authData }, a);
    }
  });
});

const exp: AdvertExpectation = { version: 2, vrid: 254, intervalCs: 100, addresses: ['192.168.0.174'], authType: 1, authPass: '1111' };

describe('validateAdvert', () => {
  test('accepts an advert matching the instance', () => {
    assert.deepEqual(validateAdvert(seedAdvert, exp), { ok: true });
  });
  const cases: [string, Partial<Advert>, Partial<AdvertExpectation>, string][] = [
    ['another VRID', { vrid: 253 }, {}, 'vrid'],
    ['a wrong password', { authData: authDataFromPass('2222') }, {}, 'auth'],
    ['no authentication when PASS is configured', { authType: 0, authData: new Uint8Array(8) }, {}, 'auth'],
    ['a different VRRPv2 advert interval', { intervalCs: 200 }, {}, 'advert-interval'],
    ['another address count', { addresses: ['192.168.0.174', '192.168.0.175'] }, {}, 'addr-count'],
    ['another address', { addresses: ['192.168.0.175'] }, {}, 'addr-list'],
    ['a VRRPv3 advert on a VRRPv2 instance', { version: 3 }, {}, 'version'],
  ];
  for (const [what, adv, ex, reason] of cases) {
    test(`rejects ${what} with reason '${reason}'`, () => {
      const r = validateAdvert({ ...seedAdvert, ...adv }, { ...exp, ...ex });
      assert.equal(r.ok, false);
      if (!r.ok) assert.equal(r.reason, reason);
    });
  }
  test('accepts any VRRPv3 interval (a backup learns the master\'s)', () => {
    const v3: AdvertExpectation = { version: 3, vrid: 51, intervalCs: 100, addresses: ['10.0.0.100'], authType: 0 };
    const a: Advert = { version: 3, vrid: 51, priority: 100, intervalCs: 37, addresses: ['10.0.0.100'], authType: 0, authData: new Uint8Array(0) };
    assert.deepEqual(validateAdvert(a, v3), { ok: true });
  });
});

describe('adverts captured from keepalived 2.2.7 (fixtures/keepalived-adverts, made by capture.sh)', () => {
  const records = readPcap(fileURLToPath(new URL('../fixtures/keepalived-adverts/keepalived-adverts.pcap', import.meta.url)));

  test('every captured advert decodes, with TTL/hop limit 255 and a valid checksum', () => {
    assert.ok(records.length >= 10, `only ${records.length} packets in the capture`);
    for (const r of records) {
      const d = r.family === 4 ? decodeAdvert(r.datagram, { family: 4 }) : decodeAdvert(r.payload, { family: 6, src: r.src, dst: r.dst, ttl: r.hopLimit });
      assert.ok(d.ok, JSON.stringify(d));
    }
  });

  test('the captured adverts are exactly what encodeAdvert builds for the same instances', () => {
    const seen = new Set<string>();
    for (const r of records) {
      const d = r.family === 4 ? decodeAdvert(r.datagram, { family: 4 }) : decodeAdvert(r.payload, { family: 6, src: r.src, dst: r.dst, ttl: r.hopLimit });
      assert.ok(d.ok);
      const a = d.advert;
      const rebuilt = encodeAdvert(a, { family: a.family, src: a.src, dst: a.dst });
      const wire = r.family === 4 ? r.datagram.subarray(20) : r.payload;
      assert.deepEqual(rebuilt, wire);
      seen.add(`v${a.version}/${a.family}/vrid${a.vrid}/prio${a.priority}`);
    }
    // V2_PASS (seed-like), V3 IPv4 (0.5 s, two VIPs) and V3 IPv6, each also saying goodbye with priority 0.
    for (const k of ['v2/4/vrid254/prio100', 'v3/4/vrid51/prio255', 'v3/6/vrid52/prio255', 'v2/4/vrid254/prio0', 'v3/4/vrid51/prio0', 'v3/6/vrid52/prio0']) {
      assert.ok(seen.has(k), `capture has no ${k}: ${[...seen].join(', ')}`);
    }
  });

  test('the captured seed-like VRRPv2 advert passes validation for the seed instance', () => {
    const r = records.find((x) => x.family === 4 && x.datagram[20] === 0x21);
    assert.ok(r && r.family === 4);
    const d = decodeAdvert(r.datagram, { family: 4 });
    assert.ok(d.ok);
    assert.deepEqual(validateAdvert(d.advert, exp), { ok: true });
    assert.equal(d.advert.intervalCs, 100);
  });
});
