// The status file's per-instance record from runtime state, and the table `haup-agent status` prints. Pure.
import type { VrrpInstance } from '../config/schema.js';
import type { State, VirtualRouter } from '../vrrp/fsm-types.js';
import type { AgentStatus, InstanceStateName, InstanceStatus } from '../status.js';
import type { OpenSocket, SocketStats } from './sockets.js';

const STATE_NAME: Record<State, InstanceStateName> = { initialize: 'INIT', backup: 'BACKUP', master: 'MASTER', fault: 'FAULT' };

export function stateName(state: State, stopped = false): InstanceStateName {
  return stopped && state === 'initialize' ? 'STOP' : STATE_NAME[state];
}

export function vipText(v: VrrpInstance['vips'][number]): string {
  return `${v.address}/${v.prefix}`;
}

export interface InstanceView {
  cfg: VrrpInstance;
  vr: VirtualRouter;
  stopped: boolean;
  vipsHeld: boolean;
  /** Wall-clock time of vr.lastTransition (the router only knows monotonic time). */
  lastTransitionAt: string | null;
  counters: Record<string, number>;
  tracks: InstanceStatus['tracks'];
}

/** One VRRP socket in the status file: which VRIDs wake the agent, and how its packets were read. */
export interface SocketStatus extends SocketStats {
  socket: string;
  /** VRIDs whose packets wake the agent (the VRID filter), or null when every packet does (no filter: an older addon, or it could not be attached). */
  wakeVrids: number[] | null;
}

/** The status file as the running agent writes it: agent/status.ts's fields plus its sockets. */
export type AgentStatusWithSockets = AgentStatus & { sockets: SocketStatus[] };

export function socketStatus(s: Pick<OpenSocket, 'key' | 'stats' | 'filter'>): SocketStatus {
  const own = s.filter === undefined || s.filter === 'failed' ? null : s.filter.split('|')[0] ?? '';
  return { socket: s.key, wakeVrids: own === null ? null : own.split(',').filter(Boolean).map(Number), ...s.stats };
}

export function instanceStatus(v: InstanceView): InstanceStatus {
  const t = v.vr.lastTransition;
  return {
    name: v.cfg.name,
    interface: v.cfg.interface,
    vrid: v.cfg.vrid,
    version: v.cfg.version,
    family: v.cfg.family,
    state: stateName(v.vr.state, v.stopped),
    priority: v.cfg.priority,
    effectivePriority: v.vr.effectivePriority,
    advertIntervalMs: Math.round(v.cfg.advertInt * 1000),
    preempt: !v.cfg.nopreempt,
    vips: v.cfg.vips.map(vipText),
    vipsHeld: v.vipsHeld,
    masterSeen: v.vr.state === 'master' ? null : v.vr.masterAddress,
    lastTransition: t
      ? { from: stateName(t.from), to: stateName(t.to, v.stopped), reason: t.reason, at: v.lastTransitionAt ?? new Date(0).toISOString() }
      : null,
    counters: { ...v.counters },
    tracks: v.tracks,
  };
}

function ago(fromIso: string, now: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - Date.parse(fromIso)) / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  return `${Math.round(s / 3600)}h ago`;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n');
}

/**
 * `haup-agent status` as text: a header naming the agent, then one row per instance (state,
 * priority/effective, VIPs with * when held, the master seen, the last transition and its reason).
 */
export function formatStatus(s: AgentStatus, now: Date, running: boolean): string {
  const head = running
    ? `haup-agent ${s.version} (pid ${s.pid}) on ${s.node}: ${s.configFile}, up since ${s.startedAt}, updated ${ago(s.updatedAt, now)}`
    : `haup-agent is NOT running (pid ${s.pid} is gone); last status from ${s.updatedAt}`;
  const rows = [['INSTANCE', 'STATE', 'PRIO', 'VIPS', 'MASTER SEEN', 'LAST TRANSITION']];
  for (const i of s.instances) {
    const t = i.lastTransition;
    const faults = i.tracks.filter((x) => !x.healthy).map((x) => `${x.kind}:${x.name}`);
    rows.push([
      `${i.name} (vrid ${i.vrid} ${i.interface} v${i.version})`,
      i.state + (faults.length > 0 && i.state === 'FAULT' ? ` [${faults.join(',')}]` : ''),
      `${i.priority}/${i.effectivePriority}`,
      i.vips.map((v) => (i.vipsHeld ? `${v}*` : v)).join(',') || '-',
      i.masterSeen ?? (i.state === 'MASTER' ? '(self)' : '-'),
      t ? `${t.from}->${t.to} ${t.reason} ${ago(t.at, now)}` : '-',
    ]);
  }
  return `${head}\n${table(rows)}\n${s.instances.some((i) => i.vipsHeld) ? '(* = VIP held by this node)\n' : ''}`;
}
