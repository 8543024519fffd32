// Which hosts a deploy touches and in which groups and order: --limit, pairs that share hosts, and the
// HA-safe host order inside a group. Pure.
import { HaupError } from '../errors.js';
import type { HostModel, InventoryModel, PairModel } from '../inventory/model.js';

/** Pairs that share a host are deployed together, one host at a time, so a host is never touched twice at once. */
export interface Component {
  pairs: PairModel[];
  /** Every host of those pairs, selected or not (in inventory order). */
  hosts: HostModel[];
  /** Ids of the hosts this run may touch (all of them unless --limit names hosts). */
  selected: Set<string>;
}

/** `--limit a,b --limit c` -> ['a', 'b', 'c']. */
export function parseLimit(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}

function hostNames(h: HostModel): string[] {
  return [h.id, h.host, ...(h.name ? [h.name] : [])];
}

/** The pairs and hosts --limit selects; unknown names are a usage error listing what exists. */
export function selectComponents(model: InventoryModel, limit: readonly string[]): Component[] {
  const pairNames = new Set(model.pairs.map((p) => p.name));
  const unknown = limit.filter((l) => !pairNames.has(l) && !model.hosts.some((h) => hostNames(h).includes(l)));
  if (unknown.length > 0) {
    throw new HaupError('HAUP_USAGE', `--limit names ${unknown.map((u) => `"${u}"`).join(', ')}, which ${unknown.length === 1 ? 'is' : 'are'} neither a pair nor a host of ${model.file}`, {
      details: [`pairs: ${model.pairs.map((p) => p.name).join(', ')}`, `hosts: ${model.hosts.map((h) => h.id).join(', ')}`],
      hint: 'use pair names or host names (or addresses) from the inventory; separate several with commas',
    });
  }
  const selectedHosts = new Set<string>();
  for (const h of model.hosts) {
    const pairs = h.instances.map((i) => i.pair);
    if (limit.length === 0 || limit.some((l) => pairs.includes(l) || hostNames(h).includes(l))) selectedHosts.add(h.id);
  }
  const hostsOf = (p: PairModel) => model.hosts.filter((h) => h.instances.some((i) => i.pair === p.name));
  const pairs = model.pairs.filter((p) => hostsOf(p).some((h) => selectedHosts.has(h.id)));

  // Union-find over pairs that share a host.
  const parent = new Map(pairs.map((p) => [p.name, p.name]));
  const find = (n: string): string => {
    const up = parent.get(n) as string;
    if (up === n) return n;
    const root = find(up);
    parent.set(n, root);
    return root;
  };
  const firstPairOfHost = new Map<string, string>();
  for (const p of pairs) {
    for (const h of hostsOf(p)) {
      const other = firstPairOfHost.get(h.id);
      if (other === undefined) firstPairOfHost.set(h.id, p.name);
      else parent.set(find(p.name), find(other));
    }
  }
  const groups = new Map<string, Component>();
  for (const p of pairs) {
    const root = find(p.name);
    let c = groups.get(root);
    if (!c) groups.set(root, (c = { pairs: [], hosts: [], selected: new Set() }));
    c.pairs.push(p);
  }
  for (const c of groups.values()) {
    const names = new Set(c.pairs.map((p) => p.name));
    c.hosts = model.hosts.filter((h) => h.instances.some((i) => names.has(i.pair)));
    for (const h of c.hosts) if (selectedHosts.has(h.id)) c.selected.add(h.id);
  }
  return [...groups.values()];
}

/** A component's display name: its pairs. */
export function componentName(c: Component): string {
  return c.pairs.map((p) => p.name).join('+');
}

/**
 * The order hosts are deployed in. Warm (an agent already runs somewhere in the group): backups first, so the
 * node holding the VIP is touched last (issue 4). Cold (no agent runs on any node): masters first — there is
 * nothing to protect, and the master's Master_Down_Timer (RFC 5798 §6.4.1) then starts before the backup's, so
 * it wins the first election even with nopreempt, where priority alone would be decided by a few ms of skew.
 */
export function hostOrder(c: Component, cold: boolean): HostModel[] {
  const masters = (h: HostModel) => h.instances.filter((i) => i.role === 'master').length;
  const backups = (h: HostModel) => h.instances.filter((i) => i.role === 'backup').length;
  const index = new Map(c.hosts.map((h, i) => [h.id, i]));
  const key = (h: HostModel) => masters(h) - backups(h);
  return c.hosts
    .filter((h) => c.selected.has(h.id))
    .sort((a, b) => (cold ? key(b) - key(a) : key(a) - key(b)) || (index.get(a.id) as number) - (index.get(b.id) as number));
}
