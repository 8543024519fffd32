// Turns validated pairs into the per-host model: instances with keepalived's state rules applied, and
// check scripts shared between instances of a host when their settings are identical.
import type { CheckSpec, HostModel, InstanceModel, InventoryModel, PairModel, PeerRef, ScriptModel, Vip } from './model.js';
import { ENGINE_PATHS } from './model.js';
import type { ResolvedNode, ResolvedPair } from './resolve.js';

export function buildModel(file: string, templatesDir: string | null, pairs: readonly ResolvedPair[]): InventoryModel {
  const hosts = new Map<string, HostModel>();
  const pending = new Map<HostModel, { inst: InstanceModel; check: CheckSpec | null }[]>();
  for (const p of pairs) {
    for (const n of [p.master, p.backup]) {
      const peer = n.role === 'master' ? p.backup : p.master;
      let host = hosts.get(n.host);
      if (!host) {
        host = {
          id: n.name ?? n.host,
          host: n.host,
          name: n.name,
          engine: n.engine,
          paths: ENGINE_PATHS[n.engine],
          ssh: n.ssh,
          instances: [],
          scripts: [],
        };
        hosts.set(n.host, host);
        pending.set(host, []);
      }
      const inst = instanceOf(p, n, peer);
      host.instances.push(inst);
      pending.get(host)?.push({ inst, check: n.check === 'invalid' ? null : n.check });
    }
  }
  for (const [host, list] of pending) host.scripts = assignScripts(host, list);
  return {
    file,
    templatesDir,
    pairs: pairs.map(pairOf),
    hosts: [...hosts.values()],
  };
}

function ref(n: ResolvedNode): PeerRef {
  return { id: n.name ?? n.host, host: n.host, priority: n.priority };
}

function vipsFor(p: ResolvedPair, n: ResolvedNode): Vip[] {
  return p.vips.flatMap((v) =>
    v.parsed ? [{ address: v.parsed.address, prefix: v.parsed.prefix, family: v.parsed.family, dev: v.dev ?? n.iface ?? '', label: v.label }] : [],
  );
}

function instanceOf(p: ResolvedPair, n: ResolvedNode, peer: ResolvedNode): InstanceModel {
  // keepalived: nopreempt and preempt_delay only work when the initial state is BACKUP, so both nodes
  // start as BACKUP then and the higher priority wins the election.
  const state = n.state ?? (n.role === 'master' && n.preempt && n.preemptDelay === null ? 'MASTER' : 'BACKUP');
  return {
    name: p.instance,
    pair: p.raw.name,
    role: n.role,
    state,
    interface: n.iface ?? '',
    vrid: p.raw.vrid,
    priority: n.priority,
    advertInt: n.advertInt,
    version: n.version,
    preempt: n.preempt,
    preemptDelay: n.preemptDelay,
    auth: n.auth === null || n.auth === 'invalid' ? null : { type: 'PASS', pass: n.auth.pass },
    vips: vipsFor(p, n),
    trackScripts: [],
    unicast: n.unicast ? { src: n.host, peers: [peer.host] } : null,
    peer: ref(peer),
  };
}

/**
 * One vrrp_script per distinct check on a host: `chk_nginx` / `check_nginx.sh` when every instance
 * using the nginx template has the same settings, else `chk_nginx_<pair>` per distinct variant.
 */
function assignScripts(host: HostModel, list: readonly { inst: InstanceModel; check: CheckSpec | null }[]): ScriptModel[] {
  const byTemplate = new Map<string, Map<string, { check: CheckSpec; insts: InstanceModel[] }>>();
  for (const { inst, check } of list) {
    if (!check) continue;
    const variants = byTemplate.get(check.template) ?? new Map<string, { check: CheckSpec; insts: InstanceModel[] }>();
    byTemplate.set(check.template, variants);
    const key = JSON.stringify(check);
    const v = variants.get(key) ?? { check, insts: [] };
    variants.set(key, v);
    v.insts.push(inst);
  }
  const scripts: ScriptModel[] = [];
  for (const [template, variants] of byTemplate) {
    for (const { check, insts } of variants.values()) {
      const suffix = variants.size === 1 ? '' : `_${(insts[0] as InstanceModel).pair}`;
      const script: ScriptModel = {
        name: `chk_${template}${suffix}`,
        path: `${host.paths.scriptsDir}/check_${template}${suffix}.sh`,
        check,
        pairs: [...new Set(insts.map((i) => i.pair))],
      };
      for (const i of insts) i.trackScripts.push(script.name);
      scripts.push(script);
    }
  }
  return scripts;
}

function pairOf(p: ResolvedPair): PairModel {
  const probe = p.raw.probe;
  return {
    name: p.raw.name,
    vrid: p.raw.vrid,
    version: p.master.version,
    advertInt: p.master.advertInt,
    preempt: p.master.preempt,
    vips: vipsFor(p, p.master),
    master: ref(p.master),
    backup: ref(p.backup),
    probe: { type: probe?.type ?? 'http', port: probe?.port ?? 80, path: probe?.path ?? '/' },
  };
}
