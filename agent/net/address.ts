// IP and MAC address text <-> bytes, pure (node:net only validates, it does not convert).
import { isIPv4, isIPv6 } from 'node:net';

/** 4 bytes of a dotted-quad IPv4 address; throws a TypeError on anything else. */
export function ipv4Bytes(text: string): Buffer {
  if (!isIPv4(text)) throw new TypeError(`not an IPv4 address: ${JSON.stringify(text)}`);
  return Buffer.from(text.split('.').map(Number));
}

/** 16 bytes of an IPv6 address (any RFC 4291 text form, including an embedded IPv4 tail). */
export function ipv6Bytes(text: string): Buffer {
  const bare = text.replace(/%.*$/, ''); // a zone ("fe80::1%eth0") names an interface, not bytes
  if (!isIPv6(bare)) throw new TypeError(`not an IPv6 address: ${JSON.stringify(text)}`);
  let body = bare;
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  if (v4?.[1]) {
    const b = ipv4Bytes(v4[1]);
    tail.push(b.readUInt16BE(0), b.readUInt16BE(2));
    body = body.slice(0, -v4[1].length);
    if (!body.endsWith('::')) body = body.slice(0, -1); // drop the ':' before the IPv4 tail
  }
  const [head, rest] = body.includes('::') ? body.split('::', 2) : [body, undefined];
  const words = (s: string | undefined) => (s ? s.split(':').filter((w) => w !== '').map((w) => parseInt(w, 16)) : []);
  const left = words(head);
  const right = [...words(rest), ...tail];
  const fill = rest === undefined ? [] : new Array<number>(8 - left.length - right.length).fill(0);
  const all = [...left, ...fill, ...right];
  const out = Buffer.alloc(16);
  all.forEach((w, i) => out.writeUInt16BE(w, i * 2));
  return out;
}

/** Bytes of an address of either family. */
export function ipBytes(text: string): Buffer {
  return isIPv4(text) ? ipv4Bytes(text) : ipv6Bytes(text);
}

export function formatIpv4(bytes: Uint8Array): string {
  if (bytes.length !== 4) throw new RangeError(`an IPv4 address has 4 bytes, got ${bytes.length}`);
  return Array.from(bytes).join('.');
}

/** RFC 5952 canonical text: lower case, longest run (>= 2) of zero words compressed. */
export function formatIpv6(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new RangeError(`an IPv6 address has 16 bytes, got ${bytes.length}`);
  const b = Buffer.from(bytes);
  const words = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
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
  return isIPv4(text) ? 4 : isIPv6(text) ? 6 : undefined;
}
