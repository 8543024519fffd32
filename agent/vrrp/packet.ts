// VRRP advertisement codec: encodeAdvert / decodeAdvert for VRRPv2 (RFC 3768) and VRRPv3 (RFC 5798).
//
// Input from the network never throws: decodeAdvert returns { ok: false, reason } with a stable
// kebab-case reason that the runtime counts and logs. IPv4 input is the whole IP datagram (a raw
// socket delivers the header: TTL, addresses and protocol come from it); IPv6 input is the VRRP
// message alone, with the hop limit and addresses passed in `meta`.
import { internetChecksum, pseudoHeader } from './checksum.js';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6, type Family } from './ip-address.js';

export const VRRP_PROTOCOL = 112;
export const VRRP_MULTICAST_V4 = '224.0.0.18';
export const VRRP_MULTICAST_V6 = 'ff02::12';
/** RFC 5798 §5.1.1.3 / RFC 3768 §5.2.3: adverts are sent, and must arrive, with TTL / hop limit 255. */
export const VRRP_TTL = 255;
export const AUTH_NONE = 0;
export const AUTH_PASS = 1;
/** Fixed VRRP header bytes before the address list; v2 adds 8 bytes of authentication data after it. */
const HEADER_LEN = 8;
const AUTH_LEN = 8;
/** VRRPv3 Max Adver Int is a 12-bit field in centiseconds (RFC 5798 §5.2.7). */
export const MAX_V3_INTERVAL_CS = 0x0fff;

/** One advertisement as carried on the wire (family independent). */
export interface Advert {
  version: 2 | 3;
  vrid: number;
  priority: number;
  /** Advertisement interval in centiseconds (v2 carries whole seconds: intervalCs = 100 * seconds). */
  intervalCs: number;
  /** The virtual addresses listed in the advert, as canonical text. */
  addresses: string[];
  /** VRRPv2 only: 0 = none, 1 = simple text password (RFC 2338 §5.3.6). Always 0 for v3. */
  authType: number;
  /** VRRPv2 only: the 8 authentication bytes (PASS: password, zero padded). Empty for v3. */
  authData: Uint8Array;
}

/** A decoded advert plus what the IP layer told us about it. */
export interface ReceivedAdvert extends Advert {
  family: Family;
  src: string;
  dst: string;
  ttl: number;
  checksum: number;
}

export type DecodeReason =
  | 'length'
  | 'ip-header'
  | 'protocol'
  | 'ttl'
  | 'version'
  | 'type'
  | 'checksum'
  | 'auth';

export type DecodeResult = { ok: true; advert: ReceivedAdvert } | { ok: false; reason: DecodeReason; detail: string };

export interface DecodeMeta {
  family: Family;
  /** IPv6: source and destination of the datagram (needed for the pseudo-header checksum). Ignored for IPv4. */
  src?: string;
  dst?: string;
  /** IPv6: the received hop limit. Ignored for IPv4 (read from the header). */
  ttl?: number;
  /** keepalived skips the TTL check for unicast peers (vrrp.c vrrp_in_chk); default true. */
  checkTtl?: boolean;
}

/** The 8-byte VRRPv2 authentication field for a PASS password: its first 8 bytes, zero padded. */
export function authDataFromPass(pass: string): Uint8Array {
  const out = new Uint8Array(AUTH_LEN);
  out.set(new TextEncoder().encode(pass).subarray(0, AUTH_LEN));
  return out;
}

function fail(reason: DecodeReason, detail: string): DecodeResult {
  return { ok: false, reason, detail };
}

/** Decodes and checks one received VRRP packet; never throws. */
export function decodeAdvert(bytes: Uint8Array, meta: DecodeMeta): DecodeResult {
  let vrrp: Uint8Array;
  let src: string;
  let dst: string;
  let ttl: number;
  if (meta.family === 4) {
    // RFC 791 header: version/IHL, ..., TTL at 8, protocol at 9, addresses at 12 and 16.
    if (bytes.length < 20) return fail('length', `${bytes.length} bytes is shorter than an IPv4 header`);
    const b0 = bytes[0] as number;
    const ihl = (b0 & 0x0f) * 4;
    if (b0 >> 4 !== 4 || ihl < 20) return fail('ip-header', `not an IPv4 header (version ${b0 >> 4}, IHL ${ihl})`);
    if (bytes.length < ihl) return fail('length', `${bytes.length} bytes is shorter than the IP header length ${ihl}`);
    const totalLen = ((bytes[2] as number) << 8) | (bytes[3] as number);
    if (totalLen !== bytes.length) return fail('length', `IP total length ${totalLen} but received ${bytes.length} bytes`);
    if (bytes[9] !== VRRP_PROTOCOL) return fail('protocol', `IP protocol ${bytes[9]}, expected ${VRRP_PROTOCOL}`);
    ttl = bytes[8] as number;
    src = formatIPv4(bytes, 12);
    dst = formatIPv4(bytes, 16);
    vrrp = bytes.subarray(ihl);
  } else {
    if (meta.src === undefined || meta.dst === undefined || meta.ttl === undefined) {
      return fail('ip-header', 'IPv6 advert without source, destination or hop limit');
    }
    ttl = meta.ttl;
    src = meta.src;
    dst = meta.dst;
    vrrp = bytes;
  }
  // RFC 5798 §7.1 / RFC 3768 §7.1: MUST verify that the IP TTL / hop limit is 255.
  if (meta.checkTtl !== false && ttl !== VRRP_TTL) return fail('ttl', `TTL ${ttl}, expected ${VRRP_TTL}`);
  if (vrrp.length < HEADER_LEN) return fail('length', `${vrrp.length} bytes is shorter than the VRRP header`);
  const b0 = vrrp[0] as number;
  const version = b0 >> 4;
  // RFC 5798 §7.1: MUST verify the VRRP version. v2 is IPv4 only (RFC 3768 §5.3.1).
  if (version !== 3 && !(version === 2 && meta.family === 4)) {
    return fail('version', `VRRP version ${version} over IPv${meta.family}`);
  }
  if ((b0 & 0x0f) !== 1) return fail('type', `VRRP packet type ${b0 & 0x0f}, expected 1 (ADVERTISEMENT)`);
  const count = vrrp[3] as number;
  const addrLen = meta.family === 4 ? 4 : 16;
  const expected = HEADER_LEN + count * addrLen + (version === 2 ? AUTH_LEN : 0);
  // RFC 5798 §7.1: MUST verify that the packet contains the complete VRRP packet; keepalived also
  // drops anything longer (vrrp_in_chk "Received packet length mismatch").
  if (vrrp.length !== expected) return fail('length', `VRRP message is ${vrrp.length} bytes, ${count} addresses need ${expected}`);
  const checksum = ((vrrp[6] as number) << 8) | (vrrp[7] as number);
  if (version === 3) {
    const ph = pseudoHeader(meta.family, src, dst, VRRP_PROTOCOL, vrrp.length);
    if (!ph) return fail('ip-header', `unusable addresses ${src} -> ${dst}`);
    if (internetChecksum([ph, vrrp]) !== 0) return fail('checksum', `bad VRRPv3 checksum 0x${checksum.toString(16)}`);
  } else if (internetChecksum([vrrp]) !== 0) {
    return fail('checksum', `bad VRRPv2 checksum 0x${checksum.toString(16)}`);
  }
  const authType = version === 2 ? (vrrp[4] as number) : 0;
  // keepalived accepts auth types 0 (none), 1 (PASS) and 2 (AH, only with IP protocol 51).
  if (version === 2 && authType > 1) return fail('auth', `unsupported authentication type ${authType}`);
  const addresses: string[] = [];
  for (let i = 0; i < count; i++) {
    const off = HEADER_LEN + i * addrLen;
    addresses.push(meta.family === 4 ? formatIPv4(vrrp, off) : formatIPv6(vrrp, off));
  }
  const intervalCs = version === 2 ? (vrrp[5] as number) * 100 : (((vrrp[4] as number) << 8) | (vrrp[5] as number)) & MAX_V3_INTERVAL_CS;
  const authData = version === 2 ? vrrp.slice(expected - AUTH_LEN, expected) : new Uint8Array(0);
  return {
    ok: true,
    advert: { version, vrid: vrrp[1] as number, priority: vrrp[2] as number, intervalCs, addresses, authType, authData, family: meta.family, src, dst, ttl, checksum },
  };
}

export interface EncodeOptions {
  family: Family;
  /** Source and destination of the datagram: the VRRPv3 checksum covers them (RFC 5798 §5.2.8). */
  src: string;
  dst: string;
}

/**
 * Builds the VRRP message (no IP header) with its checksum. Throws on values that cannot be put on
 * the wire (a programming error, not network input): bad vrid/priority, an interval the version
 * cannot carry, an address of the wrong family.
 */
export function encodeAdvert(a: Advert, opts: EncodeOptions): Uint8Array {
  const byte = (name: string, v: number, min: number, max: number): number => {
    if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${name} ${v} is outside ${min}..${max}`);
    return v;
  };
  if (a.version === 2 && opts.family !== 4) throw new RangeError('VRRPv2 is IPv4 only');
  const addrLen = opts.family === 4 ? 4 : 16;
  const count = byte('address count', a.addresses.length, 0, 255);
  const len = HEADER_LEN + count * addrLen + (a.version === 2 ? AUTH_LEN : 0);
  const m = new Uint8Array(len);
  m[0] = (a.version << 4) | 1;
  m[1] = byte('vrid', a.vrid, 1, 255);
  m[2] = byte('priority', a.priority, 0, 255);
  m[3] = count;
  if (a.version === 2) {
    if (a.intervalCs % 100 !== 0) throw new RangeError(`VRRPv2 interval ${a.intervalCs}cs is not whole seconds`);
    m[4] = byte('auth type', a.authType, 0, 1);
    m[5] = byte('advert interval (s)', a.intervalCs / 100, 1, 255);
    if (a.authData.length > AUTH_LEN) throw new RangeError('authentication data is longer than 8 bytes');
    m.set(a.authData, len - AUTH_LEN);
  } else {
    const iv = byte('max advert interval (cs)', a.intervalCs, 1, MAX_V3_INTERVAL_CS);
    m[4] = iv >> 8;
    m[5] = iv & 0xff;
  }
  a.addresses.forEach((text, i) => {
    const bytes = opts.family === 4 ? parseIPv4(text) : parseIPv6(text);
    if (!bytes) throw new RangeError(`${text} is not an IPv${opts.family} address`);
    m.set(bytes, HEADER_LEN + i * addrLen);
  });
  let sum: number;
  if (a.version === 3) {
    const ph = pseudoHeader(opts.family, opts.src, opts.dst, VRRP_PROTOCOL, len);
    if (!ph) throw new RangeError(`bad source/destination ${opts.src} -> ${opts.dst}`);
    sum = internetChecksum([ph, m]);
  } else {
    sum = internetChecksum([m]);
  }
  m[6] = sum >> 8;
  m[7] = sum & 0xff;
  return m;
}

export interface IPv4HeaderOptions {
  src: string;
  dst: string;
  ttl?: number;
  /** keepalived sends TOS 0xc0 (internetwork control). */
  tos?: number;
  id?: number;
  protocol?: number;
}

/** Wraps a payload in a 20-byte IPv4 header with a valid header checksum (for IP_HDRINCL sends and tests). */
export function encodeIPv4Datagram(payload: Uint8Array, o: IPv4HeaderOptions): Uint8Array {
  const s = parseIPv4(o.src);
  const d = parseIPv4(o.dst);
  if (!s || !d) throw new RangeError(`bad IPv4 addresses ${o.src} -> ${o.dst}`);
  const total = 20 + payload.length;
  const p = new Uint8Array(total);
  p[0] = 0x45;
  p[1] = o.tos ?? 0xc0;
  p[2] = total >> 8;
  p[3] = total & 0xff;
  p[4] = ((o.id ?? 0) >> 8) & 0xff;
  p[5] = (o.id ?? 0) & 0xff;
  p[8] = o.ttl ?? VRRP_TTL;
  p[9] = o.protocol ?? VRRP_PROTOCOL;
  p.set(s, 12);
  p.set(d, 16);
  const sum = internetChecksum([p.subarray(0, 20)]);
  p[10] = sum >> 8;
  p[11] = sum & 0xff;
  p.set(payload, 20);
  return p;
}

/** What this virtual router expects of an advert from a peer (built from the instance config). */
export interface AdvertExpectation {
  version: 2 | 3;
  vrid: number;
  /** Our Advertisement_Interval in centiseconds; VRRPv2 adverts must carry exactly this. */
  intervalCs: number;
  /** Our virtual addresses (canonical text). */
  addresses: readonly string[];
  /** VRRPv2: 0 none or 1 PASS with this password (compared as the 8-byte field). */
  authType: 0 | 1;
  authPass?: string;
  /** Compare the advertised address list with ours (keepalived default; RFC 5798 §7.1 "MAY"). */
  checkAddresses?: boolean;
}

export type ValidateReason = 'version' | 'vrid' | 'auth' | 'advert-interval' | 'addr-count' | 'addr-list';
export type ValidateResult = { ok: true } | { ok: false; reason: ValidateReason; detail: string };

/** The per-instance receive checks of RFC 3768 §7.1 / RFC 5798 §7.1, as keepalived applies them. */
export function validateAdvert(a: Advert, exp: AdvertExpectation): ValidateResult {
  const no = (reason: ValidateReason, detail: string): ValidateResult => ({ ok: false, reason, detail });
  if (a.version !== exp.version) return no('version', `version ${a.version}, this instance runs VRRPv${exp.version}`);
  // RFC 5798 §7.1: MUST verify that the VRID is configured on the receiving interface.
  if (a.vrid !== exp.vrid) return no('vrid', `VRID ${a.vrid}, expected ${exp.vrid}`);
  if (exp.version === 2) {
    // RFC 2338 §7.1 (kept by keepalived for v2): MUST perform the authentication of Auth Type.
    if (a.authType !== exp.authType) return no('auth', `authentication type ${a.authType}, expected ${exp.authType}`);
    if (exp.authType === AUTH_PASS) {
      const want = authDataFromPass(exp.authPass ?? '');
      if (want.some((b, i) => a.authData[i] !== b)) return no('auth', 'authentication password mismatch');
    }
    // RFC 3768 §7.1: MUST verify that the Adver Interval matches the locally configured one.
    if (a.intervalCs !== exp.intervalCs) {
      return no('advert-interval', `advert interval ${a.intervalCs / 100}s, ours is ${exp.intervalCs / 100}s`);
    }
  }
  // keepalived drops adverts whose address count differs from ours (vrrp_in_chk "invalid ip number count").
  if (a.addresses.length !== exp.addresses.length) {
    return no('addr-count', `${a.addresses.length} addresses advertised, ${exp.addresses.length} configured`);
  }
  if (exp.checkAddresses !== false) {
    const theirs = new Set(a.addresses);
    const missing = exp.addresses.find((addr) => !theirs.has(addr));
    if (missing !== undefined) return no('addr-list', `virtual address ${missing} is not in the advert`);
  }
  return { ok: true };
}
