// Value readers for keepalived.conf words (integers, decimals, booleans, addresses), returning a value or a message.
import { canonicalIp, parseIp } from '../vrrp/ip-address.js';

export type Read<T> = { ok: true; value: T } | { ok: false; message: string };

const ok = <T>(value: T): Read<T> => ({ ok: true, value });
const bad = <T>(message: string): Read<T> => ({ ok: false, message });

/** A base-10 integer in [min, max] (keepalived read_int_strvec). */
export function readInt(word: string | undefined, min: number, max: number): Read<number> {
  if (word === undefined) return bad(`needs a number (${min}..${max})`);
  if (!/^[+-]?\d+$/.test(word)) return bad(`'${word}' is not a whole number (${min}..${max})`);
  const n = Number(word);
  if (n < min || n > max) return bad(`${n} is outside ${min}..${max}`);
  return ok(n);
}

/** A decimal number of seconds in [min, max] (keepalived read_decimal_unsigned_strvec). */
export function readDecimal(word: string | undefined, min: number, max: number): Read<number> {
  if (word === undefined) return bad(`needs a number of seconds (${min}..${max})`);
  if (!/^\+?(\d+\.?\d*|\.\d+)$/.test(word)) return bad(`'${word}' is not a number of seconds`);
  const n = Number(word);
  if (n < min || n > max) return bad(`${word} is outside ${min}..${max}`);
  return ok(n);
}

/** keepalived <BOOL>: on|off|true|false|yes|no; a bare keyword means true. */
export function readBool(word: string | undefined): Read<boolean> {
  if (word === undefined) return ok(true);
  const w = word.toLowerCase();
  if (w === 'on' || w === 'true' || w === 'yes') return ok(true);
  if (w === 'off' || w === 'false' || w === 'no') return ok(false);
  return bad(`'${word}' is not one of on|off|true|false|yes|no`);
}

/** An IPv4 or IPv6 address as canonical text. */
export function readIp(word: string | undefined): Read<{ address: string; family: 4 | 6 }> {
  if (word === undefined) return bad('needs an IP address');
  const ip = parseIp(word);
  const text = canonicalIp(word);
  if (!ip || text === undefined) return bad(`'${word}' is not an IPv4 or IPv6 address`);
  return ok({ address: text, family: ip.family });
}

/** `address[/prefix]` with the family's default prefix (32 or 128). */
export function readCidr(word: string | undefined): Read<{ address: string; family: 4 | 6; prefix: number }> {
  if (word === undefined) return bad('needs an address');
  const slash = word.indexOf('/');
  const ip = readIp(slash < 0 ? word : word.slice(0, slash));
  if (!ip.ok) return ip;
  const max = ip.value.family === 4 ? 32 : 128;
  if (slash < 0) return ok({ ...ip.value, prefix: max });
  const prefix = readInt(word.slice(slash + 1), 0, max);
  if (!prefix.ok) return bad(`prefix length in '${word}': ${prefix.message}`);
  return ok({ ...ip.value, prefix: prefix.value });
}

/** Levenshtein distance, for "did you mean" hints on unknown keywords. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length] as number;
}

/** The closest known keyword if it is plausibly a typo of `word`. */
export function suggest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(word.toLowerCase(), k);
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return bestD <= Math.max(2, Math.floor(word.length / 4)) ? best : undefined;
}
