// IP and MAC address text <-> bytes for frames and sockets, pure; the conversions themselves live in
// agent/vrrp/ip-address.ts (shared with the codec), this adds Buffers and errors that name the input.
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../vrrp/ip-address.js';

// Not node:net's isIPv4/isIPv6: net brings Node's streams along (~2 ms of every agent start), and these texts come
// from a config the agent has already validated (config/values.ts); the parsers below check the form themselves.

/** An IPv6 zone ("fe80::1%eth0") names an interface, not bytes. */
const ZONE = /%[0-9a-zA-Z.:-]+$/;

/** 4 bytes of a dotted-quad IPv4 address; throws a TypeError on anything else. */
export function ipv4Bytes(text: string): Buffer {
  const bytes = parseIPv4(text);
  if (!bytes) throw new TypeError(`not an IPv4 address: ${JSON.stringify(text)}`);
  return Buffer.from(bytes);
}

/** 16 bytes of an IPv6 address (any RFC 4291 text form, including an embedded IPv4 tail). */
export function ipv6Bytes(text: string): Buffer {
  const bytes = parseIPv6(text.replace(ZONE, ''));
  if (!bytes) throw new TypeError(`not an IPv6 address: ${JSON.stringify(text)}`);
  return Buffer.from(bytes);
}

/** Bytes of an address of either family. */
export function ipBytes(text: string): Buffer {
  return parseIPv4(text) ? ipv4Bytes(text) : ipv6Bytes(text);
}

export function formatIpv4(bytes: Uint8Array): string {
  if (bytes.length !== 4) throw new RangeError(`an IPv4 address has 4 bytes, got ${bytes.length}`);
  return formatIPv4(bytes);
}

/** RFC 5952 canonical text: lower case, longest run (>= 2) of zero words compressed. */
export function formatIpv6(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new RangeError(`an IPv6 address has 16 bytes, got ${bytes.length}`);
  return formatIPv6(bytes);
}

/** "02:ab:..." -> 6 bytes; throws a TypeError on anything else. */
export function macBytes(text: string): Buffer {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(text)) throw new TypeError(`not a MAC address: ${JSON.stringify(text)}`);
  return Buffer.from(text.split(':').map((h) => parseInt(h, 16)));
}

export function formatMac(bytes: Uint8Array): string {
  if (bytes.length !== 6) throw new RangeError(`a MAC address has 6 bytes, got ${bytes.length}`);
  return Array.from(bytes, (x) => x.toString(16).padStart(2, '0')).join(':');
}

export function ipFamily(text: string): 4 | 6 | undefined {
  return parseIPv4(text) ? 4 : parseIPv6(text.replace(ZONE, '')) ? 6 : undefined;
}
