// `haup verify` step 1 and its inputs: is the pair healthy enough to fail over (exactly one holder of every
// VIP, both daemons running, neither in FAULT, the holder the one the config says), who fails over to whom,
// and the timing inputs for the expected takeover. Pure.
import type { HostModel, PairModel, ScriptModel } from '../inventory/model.js';
import { restarts, RECHECK } from '../render/view.js';
import { assessPair, describeProblem, type NodeReport } from './assess.js';
import type { CheckTiming, TakeoverTiming } from './measure.js';
import { engineName, rivalEngine, type NodeFacts } from './node-facts.js';
import type { PairHosts } from './select.js';

export type Precheck = { ok: true; from: HostModel; to: HostModel } | { ok: false; problems: string[] };

export function nodeReport(h: HostModel, role: 'master' | 'backup', f: NodeFacts | null): NodeReport {
  return {
    host: h.id,
    role,
    reachable: f !== null,
    agentRunning: f?.running ?? false,
    status: f?.status ?? null,
    addresses: f?.addresses ?? [],
    rival: f?.rivalPid ? { name: engineName(rivalEngine(h.engine)), pid: f.rivalPid } : null,
  };
}

/** The facts are null for a node that could not be asked. */
export function precheckPair(pair: PairModel, hosts: PairHosts, master: NodeFacts | null, backup: NodeFacts | null): Precheck {
  const instance = hosts.masterInstance.name;
  const a = assessPair(
    pair.vips.map((v) => v.address),
    [nodeReport(hosts.master, 'master', master), nodeReport(hosts.backup, 'backup', backup)],
    instance,
  );
  const problems = a.problems.map(describeProblem);
  const holders = [...a.holders.values()];
  const holderId = holders.every((hs) => hs.length === 1 && hs[0] === holders[0]?.[0]) ? (holders[0]?.[0] ?? null) : null;
  for (const [h, f] of [[hosts.master, master], [hosts.backup, backup]] as const) {
    if (!f?.running || h.engine !== 'haup') continue;
    const inst = f.status?.instances.find((i) => i.name === instance);
    if (!f.status) problems.push(`${h.id}: the agent has not written its status file yet`);
    else if (!inst) problems.push(`${h.id}: the agent does not run instance ${instance} (deploy the inventory first)`);
    else if (inst.state !== 'MASTER' && inst.state !== 'BACKUP' && inst.state !== 'FAULT') problems.push(`${h.id}: ${instance} is ${inst.state}, not yet MASTER or BACKUP`);
    else if (holderId !== null && (inst.state === 'MASTER') !== (h.id === holderId)) {
      problems.push(`${h.id}: the agent says ${inst.state} but ${h.id === holderId ? 'holds' : 'does not hold'} the VIPs`);
    }
  }
  if (problems.length > 0) return { ok: false, problems: [...new Set(problems)] };
  if (holderId === null) return { ok: false, problems: ['no single node holds every VIP'] };
  if (pair.preempt && holderId !== hosts.master.id) {
    return { ok: false, problems: [`the VIPs are on the backup ${holderId} although preempt is on: the master ${hosts.master.id} should hold them (is its check failing?)`] };
  }
  return holderId === hosts.master.id ? { ok: true, from: hosts.master, to: hosts.backup } : { ok: true, from: hosts.backup, to: hosts.master };
}

/** The check script that guards this pair on a node. */
export function pairCheck(host: HostModel, pair: PairModel): ScriptModel | null {
  const inst = host.instances.find((i) => i.pair === pair.name);
  return host.scripts.find((s) => inst?.trackScripts.includes(s.name) || s.pairs.includes(pair.name)) ?? null;
}

export function checkTiming(script: ScriptModel | null): CheckTiming | null {
  if (script === null) return null;
  const c = script.check;
  return { intervalMs: c.interval * 1000, fall: c.fall, weight: c.weight, stepAside: c.stepAside, recheckMs: restarts(script) ? RECHECK.seconds * 1000 : 0 };
}

/**
 * Priorities and advert interval for the expected times: what the agents report (effective priority, the
 * advert interval in use) when they do, else the configuration.
 */
export function takeoverTiming(pair: PairModel, from: HostModel, to: HostModel, fromFacts: NodeFacts | null, toFacts: NodeFacts | null): TakeoverTiming {
  const instOf = (h: HostModel) => h.instances.find((i) => i.pair === pair.name);
  const live = (h: HostModel, f: NodeFacts | null) => f?.status?.instances.find((i) => i.name === instOf(h)?.name) ?? null;
  const fromLive = live(from, fromFacts);
  const toLive = live(to, toFacts);
  return {
    backupPriority: toLive?.effectivePriority ?? instOf(to)?.priority ?? 100,
    masterPriority: fromLive?.effectivePriority ?? instOf(from)?.priority ?? 100,
    advertIntervalMs: toLive?.advertIntervalMs ?? pair.advertInt * 1000,
    check: checkTiming(pairCheck(from, pair)),
  };
}

/** Master_Down_Interval for the pair as the backup sees it (ms): the longest a healthy takeover waits. */
export function pairMasterDownMs(t: TakeoverTiming): number {
  return 3 * t.advertIntervalMs + ((256 - t.backupPriority) * t.advertIntervalMs) / 256;
}
