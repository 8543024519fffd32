// Which notify scripts run on a state change, with keepalived's arguments. Pure.
//
// keepalived (vrrp_notify.c): notify_master / _backup / _fault / _stop run as configured, with no
// added arguments; then `notify` runs with four more: GROUP|INSTANCE, the name, the new state in
// upper case (MASTER, BACKUP, FAULT, STOP) and the priority (the effective priority; 0 for a group).
import type { NotifyScript, NotifyScripts } from '../config/schema.js';
import type { NotifyState } from '../vrrp/fsm-types.js';
import type { GroupState } from '../vrrp/sync-group.js';

export interface NotifyCall {
  /** What it is for, in log lines: "VI_1 notify_master". */
  label: string;
  script: NotifyScript;
  args: string[];
}

function calls(kind: 'INSTANCE' | 'GROUP', name: string, scripts: NotifyScripts, state: NotifyState, priority: number): NotifyCall[] {
  const out: NotifyCall[] = [];
  const specific = scripts[state];
  if (specific) out.push({ label: `${name} notify_${state}`, script: specific, args: [] });
  if (scripts.any) out.push({ label: `${name} notify`, script: scripts.any, args: [kind, name, state.toUpperCase(), String(priority)] });
  return out;
}

export function instanceNotifyCalls(name: string, scripts: NotifyScripts, state: NotifyState, effectivePriority: number): NotifyCall[] {
  return calls('INSTANCE', name, scripts, state, effectivePriority);
}

/** A sync group's scripts (stop only applies to instances). */
export function groupNotifyCalls(name: string, scripts: NotifyScripts, state: GroupState): NotifyCall[] {
  return calls('GROUP', name, scripts, state, 0);
}
