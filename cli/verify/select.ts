// Which pairs `haup status` and `haup verify` look at (--limit), and the facts of a pair's nodes. Pure.
import { HaupError } from '../errors.js';
import type { HostModel, InstanceModel, InventoryModel, PairModel } from '../inventory/model.js';

/** `--limit a,b --limit c` -> ['a', 'b', 'c']. */
export function parseLimitList(values: readonly string[] | string | undefined): string[] {
  const list = values === undefined ? [] : typeof values === 'string' ? [values] : values;
  return list.flatMap((v) => String(v).split(',')).map((v) => v.trim()).filter(Boolean);
}

function hostNames(h: HostModel): string[] {
  return [h.id, h.host, ...(h.name ? [h.name] : [])];
}

/**
 * The pairs a --limit selects: by pair name, or (when `hosts` is allowed) every pair a named host is in.
 * Unknown names are a usage error listing what exists.
 */
export function selectPairs(model: InventoryModel, limit: readonly string[], opts: { hosts: boolean }): PairModel[] {
  if (limit.length === 0) return [...model.pairs];
  const pairNames = new Set(model.pairs.map((p) => p.name));
  const hostHit = (l: string) => opts.hosts && model.hosts.some((h) => hostNames(h).includes(l));
  const unknown = limit.filter((l) => !pairNames.has(l) && !hostHit(l));
  if (unknown.length > 0) {
    const what = opts.hosts ? 'neither a pair nor a host' : 'not a pair';
    throw new HaupError('HAUP_USAGE', `--limit names ${unknown.map((u) => `"${u}"`).join(', ')}, which ${unknown.length === 1 ? 'is' : 'are'} ${what} of ${model.file}`, {
      details: [`pairs: ${model.pairs.map((p) => p.name).join(', ')}`, ...(opts.hosts ? [`hosts: ${model.hosts.map((h) => h.id).join(', ')}`] : [])],
      hint: opts.hosts ? 'use pair names or host names (or addresses) from the inventory; separate several with commas' : 'use pair names from the inventory; separate several with commas',
    });
  }
  return model.pairs.filter((p) => limit.includes(p.name) || [p.master.id, p.backup.id].some((id) => {
    const h = model.hosts.find((x) => x.id === id);
    return h !== undefined && limit.some((l) => opts.hosts && hostNames(h).includes(l));
  }));
}

export interface PairHosts {
  master: HostModel;
  backup: HostModel;
  /** The pair's vrrp_instance on each node (same name on both). */
  masterInstance: InstanceModel;
  backupInstance: InstanceModel;
}

export function pairHosts(model: InventoryModel, pair: PairModel): PairHosts {
  const find = (id: string): HostModel => {
    const h = model.hosts.find((x) => x.id === id);
    if (!h) throw new Error(`inventory model: pair ${pair.name} names host ${id}, which is not in hosts`);
    return h;
  };
  const master = find(pair.master.id);
  const backup = find(pair.backup.id);
  const inst = (h: HostModel): InstanceModel => {
    const i = h.instances.find((x) => x.pair === pair.name);
    if (!i) throw new Error(`inventory model: host ${h.id} has no instance of pair ${pair.name}`);
    return i;
  };
  return { master, backup, masterInstance: inst(master), backupInstance: inst(backup) };
}

/** Every host of the pairs, each once, in inventory order. */
export function hostsOfPairs(model: InventoryModel, pairs: readonly PairModel[]): HostModel[] {
  const ids = new Set(pairs.flatMap((p) => [p.master.id, p.backup.id]));
  return model.hosts.filter((h) => ids.has(h.id));
}
