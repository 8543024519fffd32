// Building blocks for starting and reloading: which interfaces, scripts and sockets a config needs, and its instances' routers.
import type { HaupConfig, SyncGroupConfig, VrrpInstance, VrrpScript } from '../config/schema.js';
import type { InterfaceInfo } from '../net/vips.js';
import { createRouter } from '../vrrp/fsm.js';
import type { VirtualRouter } from '../vrrp/fsm-types.js';
import { routerConfig } from '../vrrp/instance.js';
import type { SyncGroup } from '../vrrp/sync-group.js';
import { sourceAddressFor } from './interfaces.js';
import { socketKey, type SocketSpec } from './sockets.js';

/** Interfaces the instances run on (must exist). */
export function instanceInterfaces(config: HaupConfig): Set<string> {
  return new Set(config.instances.map((i) => i.interface));
}

/** Every interface the config mentions: instance interfaces, track_interface entries, VIP devices. */
export function interfacesNeeded(config: HaupConfig): Set<string> {
  const out = instanceInterfaces(config);
  for (const i of config.instances) {
    for (const t of i.trackInterfaces) out.add(t.interface);
    for (const v of i.vips) out.add(v.dev ?? i.interface);
  }
  return out;
}

/** Interfaces whose link state matters: each instance's own plus its track_interface entries. */
export function watchedInterfaces(config: HaupConfig): Set<string> {
  const out = instanceInterfaces(config);
  for (const i of config.instances) for (const t of i.trackInterfaces) out.add(t.interface);
  return out;
}

/** Scripts some instance tracks (keepalived only runs those). */
export function usedScripts(config: HaupConfig): VrrpScript[] {
  const used = new Set(config.instances.flatMap((i) => i.trackScripts.map((t) => t.script)));
  return config.scripts.filter((s) => used.has(s.name));
}

export function socketSpecOf(inst: VrrpInstance, source: string): SocketSpec {
  return { family: inst.family, ifname: inst.interface, src: source, multicast: inst.unicastPeers.length === 0 };
}

export interface Prepared {
  cfg: VrrpInstance;
  source: string;
  socketKey: string;
  spec: SocketSpec;
}

/** An instance whose interface does not exist yet: it starts unbound, in FAULT (see binding.ts). */
export interface Waiting {
  cfg: VrrpInstance;
  why: string;
}

export interface PrepareResult {
  ok: boolean;
  prepared: Prepared[];
  waiting: Waiting[];
  errors: string[];
}

/**
 * Source address and socket of each instance, from fresh interface readings. An instance whose
 * interface is missing waits for it; one whose interface has no usable address is an error that
 * names the instance and what to do.
 */
export function prepareInstances(instances: readonly VrrpInstance[], found: ReadonlyMap<string, InterfaceInfo>, allVips: readonly string[]): PrepareResult {
  const prepared: Prepared[] = [];
  const waiting: Waiting[] = [];
  const errors: string[] = [];
  for (const cfg of instances) {
    const info = found.get(cfg.interface);
    if (!info) {
      waiting.push({ cfg, why: `${cfg.file}:${cfg.line}: vrrp_instance ${cfg.name}: interface ${cfg.interface} does not exist; in FAULT until it appears` });
      continue;
    }
    const source = sourceAddressFor(cfg, info, allVips);
    if (!source) {
      const what = cfg.family === 6 ? 'usable IPv6 link-local address (still tentative, or IPv6 disabled?)' : 'IPv4 address of its own (VIPs do not count)';
      errors.push(`${cfg.file}:${cfg.line}: vrrp_instance ${cfg.name}: interface ${cfg.interface} has no ${what} to send adverts from — add one or set unicast_src_ip`);
      continue;
    }
    const spec = socketSpecOf(cfg, source);
    prepared.push({ cfg, source, socketKey: socketKey(spec), spec });
  }
  return { ok: errors.length === 0, prepared, waiting, errors };
}

export function newRouter(p: Prepared): VirtualRouter {
  return createRouter(routerConfig(p.cfg, p.source));
}

export function allVipAddresses(config: HaupConfig): string[] {
  return config.instances.flatMap((i) => i.vips.map((v) => v.address));
}

/** Sync groups of `config`; a group that existed before (same name and members) keeps its notified state. */
export function buildGroups(config: HaupConfig, old: ReadonlyMap<string, { cfg: SyncGroupConfig; state: SyncGroup }>): Map<string, { cfg: SyncGroupConfig; state: SyncGroup }> {
  const out = new Map<string, { cfg: SyncGroupConfig; state: SyncGroup }>();
  for (const g of config.syncGroups) {
    const prev = old.get(g.name);
    const same = prev && prev.cfg.members.join(' ') === g.members.join(' ');
    out.set(g.name, { cfg: g, state: { name: g.name, members: [...g.members], state: same ? prev.state.state : null } });
  }
  return out;
}
