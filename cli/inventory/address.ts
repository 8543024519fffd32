// Address parsing for the inventory: IPv4/IPv6 with an optional prefix, host names, and subnets.
import { isIP } from 'node:net';

export interface ParsedAddress {
  address: string;
  prefix: number | null;
  family: 4 | 6;
}

/** `192.168.0.174`, `192.168.0.174/24`, `fd00::10/64`; null when it is not an address. */
export function parseAddress(text: string): ParsedAddress | null {
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const family = isIP(address);
  if (family !== 4 && family !== 6) return null;
  if (slash === -1) return { address, prefix: null, family };
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  if (prefix < 1 || prefix > (family === 4 ? 32 : 128)) return null;
  return { address, prefix, family };
}

const LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** RFC 1123 host name (not an IP literal). */
export function isHostname(text: string): boolean {
  if (text.length > 253 || text.endsWith('.')) return false;
  if (/^[0-9.]+$/.test(text)) return false; // looks like a broken IPv4 address, not a name
  return text.split('.').every((l) => LABEL.test(l));
}

export function isHost(text: string): boolean {
  return isIP(text) !== 0 || isHostname(text);
}

/** A canonical form so `fd00::1` and `fd00:0::1` compare equal. */
export function canonicalAddress(address: string): string {
  if (isIP(address) !== 6) return address;
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address.toLowerCase();
  }
}

/** The /24 an IPv4 address is in, as `a.b.c.0/24`, or null for anything else. */
export function slash24(address: string): string | null {
  if (isIP(address) !== 4) return null;
  return `${address.split('.').slice(0, 3).join('.')}.0/24`;
}
