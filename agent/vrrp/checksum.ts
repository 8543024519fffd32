// The Internet checksum (RFC 1071) over one or more byte ranges, and the VRRP pseudo-headers it covers.
import { parseIPv4, parseIPv6, type Family } from './ip-address.js';

/**
 * One's-complement sum of 16-bit big-endian words over the concatenation of `parts`, folded and
 * inverted. Odd-length parts are handled as if concatenated (a trailing odd byte is padded with 0).
 * Verifying: the checksum over data that already contains its checksum field is 0.
 */
export function internetChecksum(parts: readonly Uint8Array[]): number {
  let sum = 0;
  let odd: number | undefined;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) {
      const byte = part[i] as number;
      if (odd === undefined) odd = byte;
      else {
        sum += (odd << 8) | byte;
        odd = undefined;
      }
    }
    // Fold now and then so the sum stays a small integer.
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (odd !== undefined) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * Pseudo-header for the VRRPv3 checksum (RFC 5798 §5.2.8): IPv4 src, dst, zero, protocol, length
 * (RFC 768 layout, as keepalived computes it); IPv6 src, dst, 32-bit length, 3 zero bytes, next
 * header (RFC 2460 §8.1). Returns undefined when an address does not parse for the family.
 */
export function pseudoHeader(family: Family, src: string, dst: string, protocol: number, length: number): Uint8Array | undefined {
  if (family === 4) {
    const s = parseIPv4(src);
    const d = parseIPv4(dst);
    if (!s || !d) return undefined;
    const h = new Uint8Array(12);
    h.set(s, 0);
    h.set(d, 4);
    h[9] = protocol;
    h[10] = (length >> 8) & 0xff;
    h[11] = length & 0xff;
    return h;
  }
  const s = parseIPv6(src);
  const d = parseIPv6(dst);
  if (!s || !d) return undefined;
  const h = new Uint8Array(40);
  h.set(s, 0);
  h.set(d, 16);
  h[34] = (length >> 8) & 0xff;
  h[35] = length & 0xff;
  h[39] = protocol;
  return h;
}
