// Starting, reloading (SIGHUP) and stopping (SIGTERM) the agent's instances.
import { readFileSync } from 'node:fs';
import { formatDiagnostic } from '../config/check.js';
import { loadConfig } from '../config/load.js';
import type { Diagnostic, HaupConfig, VrrpInstance } from '../config/schema.js';
import type { Logger } from '../log.js';
import { routerConfig } from '../vrrp/instance.js';
import { sha256Hex } from './sha256.js';
import type { Agent } from './agent.js';
import { UNBOUND, unboundRouter } from './binding.js';
import { RuntimeInstance } from './instance.js';
import { garpFacts, readInterfaces, type Readings } from './interfaces.js';
import { planReload, vipChanges } from './reload-plan.js';
import {
  allVipAddresses,
  buildGroups,
  interfacesNeeded,
  newRouter,
  prepareInstances,
  socketSpecOf,
  usedScripts,
  watchedInterfaces,
  type PrepareResult,
  type Prepared,
} from './setup.js';

export interface LoadedConfig {
  config: HaupConfig;
  diagnostics: Diagnostic[];
  errors: number;
  /** sha256 (hex) of the main config file's bytes as read: `haup deploy` compares it with what it pushed. */
  hash: string;
}

export function readConfig(file: string): LoadedConfig {
  let hash = '';
  try {
    hash = sha256Hex(readFileSync(file));
  } catch {
    // loadConfig reports the unreadable file
  }
  const { config, diagnostics } = loadConfig(file);
  return { config, diagnostics, errors: diagnostics.filter((d) => d.severity === 'error').length, hash };
}

export function logDiagnostics(log: Logger, diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) (d.severity === 'error' ? log.error : log.warn)(formatDiagnostic(d).replace(/: (error|warning): /, ': '));
}

export class StartError extends Error {
  override name = 'StartError';
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/** Reads interfaces and prepares instances; an IPv6 link-local address may still be tentative (DAD): wait up to ~3 s. */
async function readAndPrepare(config: HaupConfig, extraVips: readonly string[] = []): Promise<{ readings: Readings; prep: PrepareResult }> {
  for (let attempt = 0; ; attempt++) {
    const readings = await readInterfaces(interfacesNeeded(config));
    const prep = prepareInstances(config.instances, readings.found, [...allVipAddresses(config), ...extraVips]);
    if (prep.ok || attempt >= 15) return { readings, prep };
    await sleep(200);
  }
}

/** An instance with its socket, or unbound (in FAULT until its interface appears). */
function newInstance(agent: Agent, cfg: VrrpInstance, p: Prepared | undefined): RuntimeInstance {
  return p ? new RuntimeInstance(cfg, newRouter(p), p.source, p.socketKey, agent) : new RuntimeInstance(cfg, unboundRouter(cfg), '', UNBOUND, agent);
}

function setGarpFacts(agent: Agent, readings: Readings): void {
  for (const [name, info] of readings.found) agent.garpByIf.set(name, garpFacts(info));
}

export async function startAgent(agent: Agent, config: HaupConfig, hash: string): Promise<void> {
  const { readings, prep } = await readAndPrepare(config);
  if (!prep.ok) throw new StartError(prep.errors.join('\n'));
  setGarpFacts(agent, readings);
  if (agent.stopping) return;
  agent.config = config;
  agent.configHash = hash;
  agent.sockets.sync(prep.prepared.map((p) => p.spec));
  const prepared = new Map(prep.prepared.map((p) => [p.cfg.name, p]));
  for (const cfg of config.instances) agent.instances.set(cfg.name, newInstance(agent, cfg, prepared.get(cfg.name)));
  agent.groups = buildGroups(config, new Map());
  agent.links.sync(watchedInterfaces(config), readings.found, readings.missing);
  agent.scripts.sync(usedScripts(config), agent.policy());
  const list = config.instances.map((c) => {
    const p = prepared.get(c.name);
    return `${c.name} (VRID ${c.vrid} on ${c.interface}, VRRPv${c.version}, priority ${c.priority}, ${p ? `from ${p.source}` : `waiting for ${c.interface}`})`;
  });
  agent.log.info(`starting ${list.length} instance${list.length === 1 ? '' : 's'}: ${list.join('; ') || 'none'}`);
  for (const w of prep.waiting) agent.log.warn(w.why);
  agent.syncFilters();
  agent.startDraining();
  for (const inst of agent.instances.values()) agent.refreshHealth(inst);
  agent.binder.update();
  agent.writeStatusNow();
}

/**
 * SIGHUP: re-reads the config. Any error keeps the running config untouched. Instances with the same
 * name, VRID, interface and family keep their state and VIPs (a `reload` event, no transition);
 * removed ones shut down (priority 0, VIPs released, notify stop); new ones start.
 */
export async function reloadAgent(agent: Agent): Promise<void> {
  const file = agent.opts.configFile;
  const log = agent.log;
  if (agent.stopping) return;
  if (!agent.config) {
    log.warn(`SIGHUP while starting: ignored; send it again once the instances have started`);
    return;
  }
  log.info(`reloading ${file} (SIGHUP)`);
  const loaded = readConfig(file);
  logDiagnostics(log, loaded.diagnostics);
  if (loaded.errors > 0) {
    log.error(`reload rejected: ${loaded.errors} error${loaded.errors === 1 ? '' : 's'} in ${file}; still running the previous configuration`);
    return;
  }
  const old = agent.config;
  const next = loaded.config;
  let readings: Readings;
  let prep: PrepareResult;
  try {
    ({ readings, prep } = await readAndPrepare(next, allVipAddresses(old)));
    if (prep.ok) setGarpFacts(agent, readings);
  } catch (err) {
    log.error(`reload rejected: ${(err as Error).message}; still running the previous configuration`);
    return;
  }
  if (!prep.ok) {
    for (const e of prep.errors) log.error(e);
    log.error('reload rejected; still running the previous configuration');
    return;
  }
  if (agent.stopping) return;
  // What the drain sockets hold was queued under the old configuration: classify it with the old receivers.
  agent.drainAll();
  const plan = planReload(old.instances, next.instances);
  const removed = plan.remove.map((r) => agent.instances.get(r.name)).filter((i): i is RuntimeInstance => i !== undefined);
  const prepared = new Map(prep.prepared.map((p) => [p.cfg.name, p]));
  try {
    // New sockets open first; the removed instances' sockets stay for their priority-0 goodbye.
    agent.sockets.sync([...prep.prepared.map((p) => p.spec), ...removed.map((i) => socketSpecOf(i.cfg, i.source))]);
  } catch (err) {
    log.error(`reload rejected: cannot open a VRRP socket: ${(err as Error).message}; still running the previous configuration`);
    return;
  }

  for (const inst of removed) {
    agent.feed(inst, { type: 'shutdown' });
    inst.stopped = true;
    inst.cancelTimers();
    log.info(`${inst.name}: removed from the configuration`);
  }
  agent.config = next;
  agent.configHash = loaded.hash;
  agent.groups = buildGroups(next, agent.groups);
  agent.links.sync(watchedInterfaces(next), readings.found, readings.missing);
  agent.scripts.sync(usedScripts(next), agent.policy());

  const instances = new Map<string, RuntimeInstance>();
  for (const w of prep.waiting) log.warn(w.why);
  for (const { old: o, next: n } of plan.keep) {
    const inst = agent.instances.get(o.name) as RuntimeInstance;
    const p = prepared.get(n.name);
    if (inst.vr.state === 'master') {
      const change = vipChanges(inst.cfg, n);
      inst.removeVips(change.remove, false);
      inst.cfg = n;
      inst.addVips(change.add);
      if (change.add.length > 0) inst.sendGarp(n.garp.masterRepeat, change.add);
    }
    inst.cfg = n;
    // Its interface is gone: unbound (FAULT) until it is back; the router keeps its last source address.
    inst.source = p?.source ?? '';
    inst.socketKey = p?.socketKey ?? UNBOUND;
    const config = routerConfig(n, p?.source ?? inst.vr.config.primaryAddress);
    agent.feed(inst, { type: 'reload', config, priority: agent.priorityOf(inst) });
  }
  for (const n of next.instances) {
    const kept = agent.instances.get(n.name);
    instances.set(n.name, kept && !kept.stopped ? kept : newInstance(agent, n, prepared.get(n.name)));
  }
  agent.instances.clear();
  for (const [name, inst] of instances) agent.instances.set(name, inst);
  agent.sockets.sync(agent.binder.boundSpecs());
  agent.syncFilters();
  for (const inst of agent.instances.values()) agent.refreshHealth(inst);
  agent.binder.update();
  agent.writeStatusNow();
  log.info(`reloaded ${file}: ${plan.keep.length} kept, ${plan.add.length} added, ${plan.remove.length} removed`);
}

/** SIGTERM/SIGINT: priority 0 from every master, VIPs released, notify_stop; waits up to 5 s for VIPs and notify scripts. */
export async function stopAgent(agent: Agent, why: string): Promise<void> {
  if (agent.stopping) return;
  agent.stopping = true;
  agent.log.info(`${why}: stopping (priority 0 adverts, releasing VIPs)`);
  agent.scripts.stopAll();
  agent.links.stopAll();
  agent.binder.stop();
  const all = [...agent.instances.values()];
  for (const inst of all) agent.feed(inst, { type: 'shutdown' });
  for (const inst of all) {
    inst.stopped = true;
    inst.cancelTimers();
  }
  await Promise.race([Promise.allSettled([...all.map((i) => i.vipsSettled()), ...agent.inFlight]), sleep(5000)]);
  agent.stopDraining();
  agent.drainAll();
  agent.sockets.closeAll();
  agent.writeStatusNow();
  agent.log.info('stopped');
}
