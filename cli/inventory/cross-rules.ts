// Checks across pairs: unique pair names, one owner per VIP, one VRID per interface segment, and one
// consistent identity (name, engine, SSH) per host when a host serves several pairs.
import { canonicalAddress, slash24 } from './address.js';
import { dotPath, error, warning, type Path, type Problem } from './problems.js';
import type { ResolvedNode, ResolvedPair } from './resolve.js';

export function crossPairProblems(pairs: readonly ResolvedPair[]): Problem[] {
  return [...uniqueNames(pairs), ...vipOwners(pairs), ...hostIdentity(pairs), ...vridPerSegment(pairs)];
}

function uniqueNames(pairs: readonly ResolvedPair[]): Problem[] {
  const out: Problem[] = [];
  const byName = new Map<string, ResolvedPair>();
  const byInstance = new Map<string, ResolvedPair>();
  for (const p of pairs) {
    const first = byName.get(p.raw.name);
    if (first) out.push(error([...p.path, 'name'], `pair name "${p.raw.name}" is already used by ${dotPath(first.path)}`, 'give every pair its own name'));
    else byName.set(p.raw.name, p);
    const firstI = byInstance.get(p.instance);
    if (firstI && !first) out.push(error([...p.path, 'instance'], `instance name "${p.instance}" is already used by pair ${firstI.raw.name}`, 'give every pair its own instance name'));
    else byInstance.set(p.instance, p);
  }
  return out;
}

function vipOwners(pairs: readonly ResolvedPair[]): Problem[] {
  const out: Problem[] = [];
  const owner = new Map<string, { pair: ResolvedPair; path: Path }>();
  for (const p of pairs) {
    for (const v of p.vips) {
      if (!v.parsed) continue;
      const key = canonicalAddress(v.parsed.address);
      const first = owner.get(key);
      if (first && first.pair !== p) {
        out.push(error([...v.path, 'address'], `${v.parsed.address} is already a VIP of pair ${first.pair.raw.name} (${dotPath(first.path)})`, 'each VIP belongs to exactly one pair; remove it from one of them'));
      } else if (!first) owner.set(key, { pair: p, path: v.path });
    }
  }
  return out;
}

function nodes(pairs: readonly ResolvedPair[]): ResolvedNode[] {
  return pairs.flatMap((p) => [p.master, p.backup]);
}

/** A host serving several pairs must look the same in each: same name, engine and SSH settings. */
function hostIdentity(pairs: readonly ResolvedPair[]): Problem[] {
  const out: Problem[] = [];
  const byHost = new Map<string, ResolvedNode>();
  const byName = new Map<string, ResolvedNode>();
  for (const n of nodes(pairs)) {
    const first = byHost.get(n.host);
    if (!first) byHost.set(n.host, n);
    else {
      if (first.name !== n.name) {
        out.push(error([...n.path, 'name'], `host ${n.host} is named ${String(n.name)} here but ${String(first.name)} at ${dotPath(first.path)}`, 'use one name per host (or leave it out everywhere but once, consistently)'));
      }
      if (first.engine !== n.engine) {
        out.push(error(n.s.engine?.origin ?? n.path, `host ${n.host} uses engine ${n.engine} here but ${first.engine} at ${dotPath(first.path)}`, 'a host runs one VRRP daemon; use the same engine for every pair on it'));
      }
      if (JSON.stringify(first.ssh) !== JSON.stringify(n.ssh)) {
        out.push(error([...n.path, 'ssh'], `host ${n.host} has other SSH settings here than at ${dotPath(first.path)}`, 'set SSH options once per host (in defaults or identically on each node)'));
      }
    }
    if (n.name !== null) {
      const named = byName.get(n.name);
      if (named && named.host !== n.host) {
        out.push(error([...n.path, 'name'], `node name ${n.name} is already used for host ${named.host} at ${dotPath(named.path)}`, 'node names must be unique per host; they name the output folders'));
      } else if (!named) byName.set(n.name, n);
    }
  }
  return out;
}

/**
 * VRRP routers with one VRID on one segment are one virtual router (RFC 5798 §1): two pairs sharing a
 * host and interface must use different VRIDs (an error); pairs on different hosts whose addresses share
 * a /24 are probably on one segment too (a warning).
 */
function vridPerSegment(pairs: readonly ResolvedPair[]): Problem[] {
  const out: Problem[] = [];
  const used = new Map<string, ResolvedPair>();
  const bySegment = new Map<string, ResolvedPair>();
  for (const p of pairs) {
    const family = p.vips.find((v) => v.parsed)?.parsed?.family ?? 4;
    let clash = false;
    for (const n of [p.master, p.backup]) {
      if (n.iface === null) continue;
      const key = `${n.host}|${n.iface}|${p.raw.vrid}|${family}`;
      const first = used.get(key);
      if (first && first !== p && !clash) {
        clash = true;
        out.push(error([...p.path, 'vrid'], `vrid ${p.raw.vrid} is already used on ${n.iface} of host ${n.host} by pair ${first.raw.name}`, 'pick a vrid no other pair on that interface uses'));
      } else if (!first) used.set(key, p);
    }
    if (clash) continue;
    for (const n of [p.master, p.backup]) {
      const net = slash24(n.host);
      if (net === null || n.iface === null) continue;
      const key = `${net}|${n.iface}|${p.raw.vrid}|${family}`;
      const first = bySegment.get(key);
      if (first && first !== p) {
        out.push(warning([...p.path, 'vrid'], `vrid ${p.raw.vrid} is also used by pair ${first.raw.name}, whose hosts share ${net}; on one segment their adverts would collide`, 'give each pair on a segment its own vrid'));
        break;
      }
      if (!first) bySegment.set(key, p);
    }
  }
  return out;
}
