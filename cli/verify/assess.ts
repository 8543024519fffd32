// Judges a pair from what its nodes report: who holds each VIP, split brain, no holder, agent down.
// Pure, so `haup status` and `haup verify`'s pre-check share one definition of "healthy".
import type { AgentStatus } from '../../agent/status.js';
import { vipAddress, type InterfaceAddress } from './facts.js';

export interface NodeReport {
  host: string;
  role: 'master' | 'backup';
  reachable: boolean;
  agentRunning: boolean;
  status: AgentStatus | null;
  addresses: InterfaceAddress[];
  /** A daemon of the other engine running on the node too ("keepalived", pid). */
  rival?: { name: string; pid: number } | null;
}

export type PairProblem =
  | { kind: 'unreachable'; host: string }
  | { kind: 'agent-down'; host: string }
  | { kind: 'split-brain'; vip: string; holders: string[] }
  | { kind: 'no-holder'; vip: string }
  | { kind: 'two-masters'; hosts: string[] }
  | { kind: 'fault'; host: string; reason: string | null }
  | { kind: 'vips-split'; holders: string[] }
  | { kind: 'rival-daemon'; host: string; name: string; pid: number };

export interface PairAssessment {
  holders: Map<string, string[]>;
  problems: PairProblem[];
  healthy: boolean;
}

/**
 * `instance` names the pair's vrrp_instance on the nodes; with it, an instance in FAULT counts as a problem
 * (that node cannot take over). Without it, only VIPs and agents are judged.
 */
export function assessPair(vips: readonly string[], nodes: readonly NodeReport[], instance?: string): PairAssessment {
  const problems: PairProblem[] = [];
  for (const n of nodes) {
    if (n.rival) problems.push({ kind: 'rival-daemon', host: n.host, name: n.rival.name, pid: n.rival.pid });
    if (!n.reachable) problems.push({ kind: 'unreachable', host: n.host });
    else if (!n.agentRunning) problems.push({ kind: 'agent-down', host: n.host });
    else {
      const inst = instance === undefined ? undefined : n.status?.instances.find((i) => i.name === instance);
      if (inst?.state === 'FAULT') problems.push({ kind: 'fault', host: n.host, reason: inst.lastTransition?.reason ?? null });
    }
  }
  const holders = new Map<string, string[]>();
  for (const vip of vips) {
    const bare = vipAddress(vip);
    const hs = nodes.filter((n) => n.addresses.some((a) => a.address.toLowerCase() === bare)).map((n) => n.host);
    holders.set(bare, hs);
    if (hs.length > 1) problems.push({ kind: 'split-brain', vip: bare, holders: hs });
    if (hs.length === 0 && nodes.every((n) => n.reachable)) problems.push({ kind: 'no-holder', vip: bare });
  }
  const distinct = [...new Set([...holders.values()].filter((hs) => hs.length === 1).map((hs) => hs[0] as string))];
  if (distinct.length > 1) problems.push({ kind: 'vips-split', holders: distinct });
  const masters = nodes.filter((n) => n.status?.instances.some((i) => i.state === 'MASTER' && (instance === undefined || i.name === instance))).map((n) => n.host);
  if (masters.length > 1 && !problems.some((p) => p.kind === 'split-brain')) problems.push({ kind: 'two-masters', hosts: masters });
  return { holders, problems, healthy: problems.length === 0 };
}

export function describeProblem(p: PairProblem): string {
  switch (p.kind) {
    case 'unreachable':
      return `${p.host}: unreachable over SSH`;
    case 'agent-down':
      return `${p.host}: the agent is not running`;
    case 'split-brain':
      return `split brain: ${p.vip} is held by ${p.holders.join(' and ')}`;
    case 'no-holder':
      return `no holder: nobody holds ${p.vip}`;
    case 'two-masters':
      return `two masters: ${p.hosts.join(' and ')} both report MASTER`;
    case 'fault':
      return `${p.host}: the instance is in FAULT${p.reason ? ` (${p.reason})` : ''}, so it cannot take over`;
    case 'rival-daemon':
      return `${p.host}: ${p.name} (pid ${p.pid}) runs there too and also speaks VRRP for the node — stop the daemon the inventory does not use`;
    case 'vips-split':
      return `VIPs split: the pair's VIPs are held by ${p.holders.join(' and ')} instead of one node`;
  }
}
