// Checks inside one pair that keepalived cannot make from one node's file: priorities, matching VRRP
// settings on both nodes, VIP families and labels, nopreempt and state (RFC 3768 / RFC 5798 rules).
import { isIP } from 'node:net';
import { canonicalAddress, isHost } from './address.js';
import { error, warning, type Path, type Problem } from './problems.js';
import type { ResolvedNode, ResolvedPair } from './resolve.js';

export function pairProblems(p: ResolvedPair): Problem[] {
  const out: Problem[] = [];
  const { master: m, backup: b } = p;
  for (const n of [m, b]) out.push(...nodeProblems(n, p));

  if (m.host === b.host) out.push(error([...b.path, 'host'], `${b.host} is also the master's host`, 'a pair needs two different hosts'));
  if (m.priority <= b.priority) {
    out.push(error([...m.path, 'priority'], `master priority ${m.priority} is not above backup priority ${b.priority}`, 'raise the master or lower the backup (e.g. 100 and 99)'));
  }
  sameOnBoth(out, m, b, 'advert_int', m.advertInt, b.advertInt);
  sameOnBoth(out, m, b, 'vrrp_version', m.version, b.version);
  sameOnBoth(out, m, b, 'preempt', m.preempt, b.preempt);
  sameOnBoth(out, m, b, 'preempt_delay', m.preemptDelay, b.preemptDelay);
  sameOnBoth(out, m, b, 'unicast', m.unicast, b.unicast);
  if (m.auth !== 'invalid' && b.auth !== 'invalid' && (m.auth?.pass ?? null) !== (b.auth?.pass ?? null)) {
    // Compare secrets without printing them.
    out.push(error(b.s.auth?.origin ?? b.path, "the backup's authentication differs from the master's", 'both nodes must use the same auth (set it on the pair, not per node)'));
  }
  out.push(...vipProblems(p));
  out.push(...weightProblems(p));
  return out;
}

function sameOnBoth(out: Problem[], m: ResolvedNode, b: ResolvedNode, key: 'advert_int' | 'vrrp_version' | 'preempt' | 'preempt_delay' | 'unicast', mv: unknown, bv: unknown): void {
  if (mv === bv) return;
  out.push(error(b.s[key]?.origin ?? [...b.path, key], `backup ${key} ${String(bv)} differs from master ${key} ${String(mv)}`, `both nodes of a pair must agree on ${key}; set it on the pair`));
}

function nodeProblems(n: ResolvedNode, p: ResolvedPair): Problem[] {
  const out: Problem[] = [];
  const at = (key: string): Path => [...n.path, key];
  if (!isHost(n.host)) out.push(error(at('host'), `"${n.host}" is not an IP address or host name`, 'use e.g. 10.0.0.11 or web1.example.com'));
  if (n.unicast && isIP(n.host) === 0) out.push(error(n.s.unicast?.origin ?? at('unicast'), `unicast needs IP addresses, but host is "${n.host}"`, 'use IP addresses as hosts, or unicast: false'));
  if (n.iface === null) out.push(error(n.path, 'no interface is set for this node', 'set defaults.interface (e.g. eth0), the pair\'s interface or the node\'s'));

  // RFC 3768 §5.3.7: v2 Adver Int is whole seconds; RFC 5798 §5.2.7: v3 is 12 bits of centiseconds.
  const adv = n.s.advert_int?.origin ?? at('advert_int');
  if (n.version === 2 && (!Number.isInteger(n.advertInt) || n.advertInt < 1 || n.advertInt > 255)) {
    out.push(error(adv, `${n.advertInt} is not a VRRPv2 advert interval`, 'VRRPv2 needs whole seconds 1..255; use vrrp_version: 3 for sub-second adverts'));
  }
  const cs = Math.round(n.advertInt * 100);
  if (n.version === 3 && (cs < 1 || cs > 4095 || Math.abs(cs - n.advertInt * 100) > 1e-6)) {
    out.push(error(adv, `${n.advertInt} is not a VRRPv3 advert interval`, 'VRRPv3 needs 0.01..40.95 seconds in steps of 0.01'));
  }
  // RFC 5798 §9: VRRPv3 has no authentication; keepalived ignores it with a warning. We refuse it.
  if (n.version === 3 && n.auth !== null) {
    out.push(error(n.s.auth?.origin ?? at('auth'), 'VRRPv3 has no authentication (RFC 5798 §9); keepalived would silently ignore it', 'write auth: none on this pair, or use vrrp_version: 2'));
  }
  if (!n.preempt && n.state === 'MASTER') {
    out.push(error(at('state'), 'state MASTER with preempt: false; keepalived needs state BACKUP for nopreempt and silently clears it', 'remove state (haup renders BACKUP on both nodes) or set preempt: true'));
  }
  if (n.role === 'backup' && n.state === 'MASTER') {
    out.push(error(at('state'), 'the backup node is given state MASTER', 'remove state, or swap the master and backup nodes'));
  }
  if (n.preemptDelay !== null && !n.preempt) {
    out.push(error(n.s.preempt_delay?.origin ?? at('preempt_delay'), 'preempt_delay has no effect with preempt: false', 'remove preempt_delay or set preempt: true'));
  }
  // RFC 3768 §5.3.4: 255 is reserved for the router that owns the virtual addresses.
  if (n.priority === 255 && !p.vips.some((v) => v.parsed && canonicalAddress(v.parsed.address) === canonicalAddress(n.host))) {
    out.push(error(at('priority'), '255 is reserved for the address owner, and no VIP of this pair is this host\'s address', 'use 1..254'));
  }
  return out;
}

function vipProblems(p: ResolvedPair): Problem[] {
  const out: Problem[] = [];
  const seen = new Map<string, number>();
  const families = new Set<number>();
  p.vips.forEach((v, j) => {
    if (!v.parsed) return;
    const key = canonicalAddress(v.parsed.address);
    const first = seen.get(key);
    if (first !== undefined) out.push(error([...v.path, 'address'], `${v.parsed.address} is listed twice (also vips[${first}])`, 'remove the duplicate'));
    else seen.set(key, j);
    families.add(v.parsed.family);
    for (const n of [p.master, p.backup]) {
      if (v.parsed.family === 6 && n.version === 2) {
        out.push(error([...v.path, 'address'], `${v.parsed.address} is IPv6, which VRRPv2 cannot carry`, 'set vrrp_version: 3 on this pair (and auth: none)'));
      }
      const dev = v.dev ?? n.iface;
      if (v.label !== null && dev !== null && !v.label.startsWith(`${dev}:`)) {
        out.push(error([...v.path, 'label'], `label "${v.label}" does not start with "${dev}:" on the ${n.role} (${n.host})`, `name it ${dev}:<suffix>, e.g. ${dev}:0, or set dev:`));
      }
    }
    if (v.label !== null && v.parsed.family === 6) out.push(error([...v.path, 'label'], 'IPv6 addresses cannot carry a label', 'remove label'));
  });
  if (families.size > 1) out.push(error([...p.path, 'vips'], 'mixes IPv4 and IPv6 addresses in one pair', 'split them into two pairs with different vrids (keepalived runs one address family per instance)'));
  return dedupe(out);
}

/**
 * A check with a weight moves the VIP only if it can reorder the priorities; and with nopreempt the
 * backup never takes over on priority alone (only FAULT, weight 0, or a stopped daemon moves it).
 */
function weightProblems(p: ResolvedPair): Problem[] {
  const { master: m, backup: b } = p;
  const c = m.check;
  if (c === null || c === 'invalid' || c.weight === 0 || c.stepAside) return [];
  const at = m.s.check?.value?.weight?.origin ?? m.path;
  if (!m.preempt) {
    return [warning(at, `weight ${c.weight} with preempt: false never moves the VIP: the backup does not preempt on priority`, 'use weight: 0 (a failing check puts the node in FAULT) or preempt: true')];
  }
  const moves = c.weight < 0 ? m.priority + c.weight < b.priority : b.priority + c.weight > m.priority;
  if (moves) return [];
  return [warning(at, `weight ${c.weight} cannot bring the master (${m.priority}) below the backup (${b.priority}), so a failing check never moves the VIP`, `use a weight beyond ${m.priority - b.priority} or weight: 0`)];
}

function dedupe(problems: Problem[]): Problem[] {
  const keys = new Set<string>();
  return problems.filter((x) => {
    const k = `${x.path.join('.')}|${x.message}`;
    if (keys.has(k)) return false;
    keys.add(k);
    return true;
  });
}
