// What a SIGHUP reload does to each instance: keep (same identity: state and VIPs stay), remove, or add. Pure.
import type { VirtualIp, VrrpInstance } from '../config/schema.js';

/** An instance keeps its state across a reload when these are unchanged (name, VRID, interface, family). */
export function instanceKey(inst: Pick<VrrpInstance, 'name' | 'vrid' | 'interface' | 'family'>): string {
  return `${inst.name}/${inst.vrid}/${inst.interface}/IPv${inst.family}`;
}

export interface ReloadPlan {
  keep: { old: VrrpInstance; next: VrrpInstance }[];
  remove: VrrpInstance[];
  add: VrrpInstance[];
}

export function planReload(old: readonly VrrpInstance[], next: readonly VrrpInstance[]): ReloadPlan {
  const byKey = new Map(old.map((i) => [instanceKey(i), i]));
  const keep: ReloadPlan['keep'] = [];
  const add: VrrpInstance[] = [];
  for (const n of next) {
    const o = byKey.get(instanceKey(n));
    if (o) {
      keep.push({ old: o, next: n });
      byKey.delete(instanceKey(n));
    } else add.push(n);
  }
  return { keep, remove: [...byKey.values()], add };
}

/** The identity of a VIP on the system: address, prefix and the device it goes on (label changes need a re-add). */
export function vipKey(v: VirtualIp, defaultDev: string): string {
  return `${v.address}/${v.prefix} dev ${v.dev ?? defaultDev}${v.label ? ` label ${v.label}` : ''}`;
}

/** VIPs a master must remove and add when a reload changes its virtual_ipaddress list. */
export function vipChanges(old: VrrpInstance, next: VrrpInstance): { remove: VirtualIp[]; add: VirtualIp[] } {
  const oldKeys = new Set(old.vips.map((v) => vipKey(v, old.interface)));
  const newKeys = new Set(next.vips.map((v) => vipKey(v, next.interface)));
  return {
    remove: old.vips.filter((v) => !newKeys.has(vipKey(v, old.interface))),
    add: next.vips.filter((v) => !oldKeys.has(vipKey(v, next.interface))),
  };
}
