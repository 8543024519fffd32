// `haup status` as data and as text: per pair and node, the agent, its state and priority, the VIPs the node
// really holds (from `ip -j addr`, not only the agent's word) and the last transition. Pure.
import type { InventoryModel, PairModel } from '../inventory/model.js';
import { assessPair, describeProblem, type PairProblem } from '../verify/assess.js';
import { nodeReport } from '../verify/precheck.js';
import { vipAddress } from '../verify/facts.js';
import type { NodeFacts } from '../verify/node-facts.js';
import { pairHosts } from '../verify/select.js';

/** What one host answered: its facts, or why it could not be asked. */
export type HostAnswer = { ok: true; facts: NodeFacts } | { ok: false; error: string };

export interface StatusNode {
  host: string;
  role: 'master' | 'backup';
  address: string;
  engine: 'haup' | 'keepalived';
  reachable: boolean;
  /** Why the node could not be reached (reachable: false). */
  error: string | null;
  agent: { running: boolean; pid: number | null; version: string | null };
  instance: string;
  /** The instance's state; for keepalived (no status file) inferred from the VIPs; null when unknown. */
  state: string | null;
  stateSource: 'agent' | 'vips' | null;
  priority: number | null;
  effectivePriority: number | null;
  /** The pair's VIPs on this node's interfaces. */
  vipsHeld: string[];
  lastTransition: { from: string; to: string; reason: string; at: string } | null;
}

export interface StatusPair {
  name: string;
  vrid: number;
  vips: string[];
  ok: boolean;
  /** The node holding every VIP, when exactly one does. */
  holder: string | null;
  problems: (PairProblem & { message: string })[];
  nodes: StatusNode[];
}

export interface StatusReport {
  ok: boolean;
  pairs: StatusPair[];
}

function statusNode(model: InventoryModel, pair: PairModel, role: 'master' | 'backup', answer: HostAnswer | undefined): { row: StatusNode; report: ReturnType<typeof nodeReport> } {
  const { master, backup, masterInstance } = pairHosts(model, pair);
  const host = role === 'master' ? master : backup;
  const vips = pair.vips.map((v) => vipAddress(v.address));
  const facts = answer?.ok ? answer.facts : null;
  const inst = facts?.status?.instances.find((i) => i.name === masterInstance.name) ?? null;
  const held = facts ? vips.filter((v) => facts.addresses.some((a) => a.address.toLowerCase() === v)) : [];
  let state: string | null = inst?.state ?? null;
  let stateSource: StatusNode['stateSource'] = inst ? 'agent' : null;
  if (host.engine === 'keepalived' && facts?.running) {
    state = held.length === vips.length ? 'MASTER' : 'BACKUP';
    stateSource = 'vips';
  }
  const row: StatusNode = {
    host: host.id,
    role,
    address: host.host,
    engine: host.engine,
    reachable: facts !== null,
    error: answer && !answer.ok ? answer.error : answer ? null : 'not asked',
    agent: { running: facts?.running ?? false, pid: facts?.pid ?? null, version: facts?.status?.version ?? null },
    instance: masterInstance.name,
    state,
    stateSource,
    priority: inst?.priority ?? null,
    effectivePriority: inst?.effectivePriority ?? null,
    vipsHeld: held,
    lastTransition: inst?.lastTransition ?? null,
  };
  const report = nodeReport(host, role, facts);
  return { row, report };
}

export function statusOfPair(model: InventoryModel, pair: PairModel, answers: ReadonlyMap<string, HostAnswer>): StatusPair {
  const { masterInstance } = pairHosts(model, pair);
  const m = statusNode(model, pair, 'master', answers.get(pair.master.id));
  const b = statusNode(model, pair, 'backup', answers.get(pair.backup.id));
  const vips = pair.vips.map((v) => v.address);
  const a = assessPair(vips, [m.report, b.report], masterInstance.name);
  const holderSets = [...a.holders.values()];
  const first = holderSets[0];
  const holder = first?.length === 1 && holderSets.every((hs) => hs.length === 1 && hs[0] === first[0]) ? (first[0] as string) : null;
  return {
    name: pair.name,
    vrid: pair.vrid,
    vips: vips.map(vipAddress),
    ok: a.healthy,
    holder,
    problems: a.problems.map((p) => ({ ...p, message: describeProblem(p) })),
    nodes: [m.row, b.row],
  };
}

export function statusReport(model: InventoryModel, pairs: readonly PairModel[], answers: ReadonlyMap<string, HostAnswer>): StatusReport {
  const out = pairs.map((p) => statusOfPair(model, p, answers));
  return { ok: out.every((p) => p.ok), pairs: out };
}

/** "12s ago", "3m ago", "2h ago", "4d ago". */
export function ago(at: string, nowMs: number): string {
  const t = Date.parse(at);
  if (Number.isNaN(t)) return at;
  const s = Math.max(0, Math.round((nowMs - t) / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.floor(s / 60)}m ago`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

/** Columns padded to the widest cell; the last column is not padded. */
export function formatTable(rows: readonly (readonly string[])[], indent = ''): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

function agentCell(n: StatusNode): string {
  if (!n.reachable) return '-';
  const name = n.engine === 'haup' ? 'running' : 'keepalived';
  return n.agent.running ? `${name} (pid ${n.agent.pid ?? '?'})` : 'NOT RUNNING';
}

/** The status as lines for a terminal or a log: a header per pair, then one row per node. */
export function formatStatus(report: StatusReport, nowMs: number): string[] {
  const lines: string[] = [];
  for (const p of report.pairs) {
    const verdict = p.ok ? `ok — ${p.holder ?? '?'} holds ${p.vips.join(', ')}` : 'FAILED';
    lines.push(`pair ${p.name} (VRID ${p.vrid}, ${p.vips.join(', ')}): ${verdict}`);
    const rows: string[][] = [['node', 'role', 'agent', 'version', 'state', 'priority', 'VIPs held', 'last transition']];
    for (const n of p.nodes) {
      const prio = n.effectivePriority === null ? '-' : n.effectivePriority === n.priority ? String(n.priority) : `${n.effectivePriority} (of ${n.priority})`;
      const t = n.lastTransition ? `${n.lastTransition.from}->${n.lastTransition.to} ${n.lastTransition.reason}, ${ago(n.lastTransition.at, nowMs)}` : '-';
      rows.push([
        `${n.host} (${n.address})`,
        n.role,
        n.reachable ? agentCell(n) : 'UNREACHABLE',
        n.agent.version ?? '-',
        n.state === null ? '-' : n.stateSource === 'vips' ? `${n.state} (from VIPs)` : n.state,
        prio,
        n.vipsHeld.length > 0 ? n.vipsHeld.join(', ') : '-',
        t,
      ]);
    }
    lines.push(...formatTable(rows, '  '));
    for (const pr of p.problems) lines.push(`  problem: ${pr.message}`);
    for (const n of p.nodes) if (n.error && !n.reachable) lines.push(`  ${n.host}: ${n.error}`);
  }
  const bad = report.pairs.filter((p) => !p.ok).length;
  lines.push(bad === 0 ? `${report.pairs.length} pair(s) ok` : `${bad} of ${report.pairs.length} pair(s) FAILED`);
  return lines;
}
