// What "done" means after touching a node, and after a whole pair: judged from what the node reports (the agent's
// status file, or the addresses keepalived put on the interface). Pure.
import type { AgentStatus } from '../../agent/status.js';
import type { HostModel, PairModel } from '../inventory/model.js';
import { vipAddress, parseAgentStatus, parseIpAddr } from '../verify/facts.js';
import type { WaitOutput } from './daemon-scripts.js';

/** One look at a node's daemon. */
export interface Snapshot {
  /** The pid in the daemon's pidfile and whether it lives. */
  pid: number | null;
  alive: boolean;
  /** When a particular pid was watched (just started), whether it still lives. */
  watchAlive: boolean | null;
  status: AgentStatus | null;
  /** The raw value the wait script compares (the status file's updatedAt line, or `ip -o addr`). */
  observed: string;
  /** haup agent: statesKey of the status text (what a 'states' wait compares). */
  states: string;
  /** Addresses on the node, for VIP holding. */
  holds: Set<string>;
  log: string[];
}

export function snapshotOf(out: WaitOutput): Snapshot {
  return {
    pid: out.pidfilePid,
    alive: out.pidfileAlive,
    watchAlive: out.watchAlive,
    status: parseAgentStatus(out.state),
    observed: out.observed,
    states: statesKey(out.state),
    holds: new Set(parseIpAddr(out.addresses ?? '').map((a) => a.address.toLowerCase())),
    log: out.log,
  };
}

/** What a wait with observe 'states' compares: the status text's state and vipsHeld lines, as the script joins them. */
export function statesKey(stateText: string | null): string {
  return (stateText ?? '').split('\n').filter((l) => l.includes('"state":') || l.includes('"vipsHeld":')).map((l) => `${l}|`).join('');
}

/** The status file line the wait script watches, taken from status text the same way. */
export function updatedLine(stateText: string | null): string {
  return stateText?.split('\n').find((l) => l.includes('"updatedAt"')) ?? '';
}

export type Verdict = { kind: 'ok' } | { kind: 'wait'; why: string } | { kind: 'fail'; why: string };

/** A pair's verdict; while waiting, `hosts` are the nodes not yet in their expected state (worth watching). */
export type PairVerdict = { kind: 'ok' } | { kind: 'wait'; why: string; hosts: string[] };

export interface ReadyWant {
  /** The pid that must be running: the one just started, or the one just reloaded. */
  pid: number | null;
  /** SHA-256 of the config just pushed, which the agent must report having loaded (haup engine). */
  configHash: string | null;
}

/**
 * A node is ready when its daemon runs (the expected pid), has loaded the new config, and every instance of the
 * host is BACKUP or MASTER. INIT and FAULT keep it waiting (like keepalived, the agent holds an instance in INIT until a
 * weight-0 check first reports; a failing check is FAULT until the timeout); a dead daemon fails at once.
 */
export function readyVerdict(host: HostModel, snap: Snapshot, want: ReadyWant): Verdict {
  if (snap.watchAlive === false || (want.pid !== null && snap.watchAlive === null && !snap.alive)) {
    return { kind: 'fail', why: `the ${host.engine === 'haup' ? 'agent' : 'keepalived'} process (pid ${want.pid ?? snap.pid ?? '?'}) exited` };
  }
  if (host.engine === 'keepalived') {
    if (!snap.alive) return { kind: 'wait', why: 'keepalived is not running yet' };
    if (want.pid !== null && snap.pid !== want.pid) return { kind: 'wait', why: `keepalived pidfile names ${snap.pid}, expected ${want.pid}` };
    return { kind: 'ok' };
  }
  const s = snap.status;
  if (!s) return { kind: 'wait', why: 'no status file yet' };
  if (want.pid !== null && s.pid !== want.pid) return { kind: 'wait', why: `the status file is from pid ${s.pid}, not ${want.pid}` };
  if (want.configHash !== null && s.configHash !== want.configHash) {
    return { kind: 'wait', why: `the agent still runs config ${s.configHash.slice(0, 12)}, not the pushed ${want.configHash.slice(0, 12)}` };
  }
  for (const inst of host.instances) {
    const got = s.instances.find((i) => i.name === inst.name);
    if (!got) return { kind: 'wait', why: `instance ${inst.name} is not in the status file` };
    if (got.state !== 'BACKUP' && got.state !== 'MASTER') {
      const reason = got.lastTransition ? ` (${got.lastTransition.reason})` : '';
      return { kind: 'wait', why: `${inst.name} is ${got.state}${reason}` };
    }
  }
  return { kind: 'ok' };
}

/** Who is MASTER for a pair's instance on a node, from its snapshot. */
function isMaster(host: HostModel, pair: PairModel, snap: Snapshot | undefined): boolean | null {
  if (!snap) return null;
  if (host.engine === 'haup') {
    const inst = host.instances.find((i) => i.pair === pair.name);
    const got = snap.status?.instances.find((i) => i.name === inst?.name);
    if (!got) return null;
    return got.state === 'MASTER';
  }
  if (!snap.alive) return null;
  return pair.vips.every((v) => snap.holds.has(vipAddress(v.address)));
}

/**
 * A pair has converged when exactly one node is MASTER (holding the VIPs) and it is the one the configuration
 * says: the master with preempt, and also without preempt after a cold start (`masterFirst`). Without preempt on
 * a running pair, whichever node is MASTER keeps the VIP (that is what nopreempt means).
 */
export function pairVerdict(pair: PairModel, master: HostModel, backup: HostModel, snaps: ReadonlyMap<string, Snapshot>, opts: { masterFirst: boolean }): PairVerdict {
  const m = isMaster(master, pair, snaps.get(master.id));
  const b = isMaster(backup, pair, snaps.get(backup.id));
  const desc = (x: boolean | null) => (x === null ? 'no state' : x ? 'MASTER' : 'BACKUP');
  const both = [master.id, backup.id];
  if (m === null || b === null) {
    return { kind: 'wait', why: `${pair.name}: ${master.id} ${desc(m)}, ${backup.id} ${desc(b)}`, hosts: both.filter((_, i) => (i === 0 ? m : b) === null) };
  }
  if (m && b) return { kind: 'wait', why: `${pair.name}: both ${master.id} and ${backup.id} are MASTER (split brain)`, hosts: both };
  // Neither is MASTER yet: the master becomes MASTER first when it should (preempt, or started first).
  if (!m && !b) return { kind: 'wait', why: `${pair.name}: neither ${master.id} nor ${backup.id} is MASTER`, hosts: pair.preempt || opts.masterFirst ? [master.id] : both };
  if ((pair.preempt || opts.masterFirst) && !m) {
    return { kind: 'wait', why: `${pair.name}: the VIP is on the backup ${backup.id}, not on the master ${master.id}`, hosts: both };
  }
  return { kind: 'ok' };
}

/**
 * The earliest a freshly started node can become MASTER: Master_Down_Interval = 3 × Advertisement_Interval +
 * Skew_Time, Skew_Time = ((256 − Priority) × Advertisement_Interval) / 256 (RFC 5798 §6.1; RFC 3768 uses whole
 * seconds for the same formula). In milliseconds.
 */
export function masterDownIntervalMs(advertIntSeconds: number, priority: number): number {
  const adv = advertIntSeconds * 1000;
  return 3 * adv + ((256 - priority) * adv) / 256;
}
