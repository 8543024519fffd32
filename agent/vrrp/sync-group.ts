// Sync groups (keepalived vrrp_sync_group): given one member's transition, the events that move the others with it.
//
// keepalived semantics (vrrp_sync.c): when one member goes to FAULT every member goes to FAULT and
// they leave it together once no member has a fault of its own; when one becomes MASTER the others
// in BACKUP follow; when a MASTER falls back to BACKUP the other masters follow. Forced moves carry
// the reasons 'sync-group' / 'sync-group-fault', and the runtime feeds their transitions back here,
// which ends the cascade (forced transitions are not propagated again).
import type { Event, State, Transition, VirtualRouter } from './fsm-types.js';

export type GroupState = 'backup' | 'master' | 'fault';

export interface SyncGroup {
  name: string;
  /** Instance names, as in `group { ... }`. */
  members: string[];
  /** The group's last notified state (null before the first member settles). */
  state: GroupState | null;
}

export interface SyncResult {
  group: SyncGroup;
  /** Events to step() into other members, in order. */
  forced: { instance: string; event: Event }[];
  /** Set when the group changed state: run the group's notify_<state> / notify (GROUP name STATE). */
  notify: GroupState | null;
}

/** The fault source a sync group puts on its healthy members while another member is faulty. */
export function syncFaultSource(group: string): string {
  return `sync-group:${group}`;
}

function ownFaults(vr: VirtualRouter, group: string): string[] {
  return vr.faults.filter((f) => f !== syncFaultSource(group));
}

/**
 * Reacts to `transition` of member `instance`. `routers` holds every member's router state *after*
 * that transition (missing members are skipped).
 */
export function syncGroupStep(
  group: SyncGroup,
  routers: Readonly<Record<string, VirtualRouter>>,
  instance: string,
  transition: Pick<Transition, 'from' | 'to' | 'reason'>,
): SyncResult {
  const forced: SyncResult['forced'] = [];
  const others = group.members.filter((m) => m !== instance && routers[m] !== undefined);
  const source = syncFaultSource(group.name);
  const anyOwnFault = group.members.some((m) => {
    const vr = routers[m];
    return vr !== undefined && ownFaults(vr, group.name).length > 0;
  });
  let next: GroupState | null = group.state;

  if (anyOwnFault) {
    // One member is really faulty: every other member carries the group's fault source.
    for (const m of others) if (!(routers[m] as VirtualRouter).faults.includes(source)) forced.push({ instance: m, event: { type: 'fault', source } });
    next = 'fault';
  } else {
    // Nobody is faulty any more: drop the group's fault source everywhere (they come up as backups).
    for (const m of group.members) {
      const vr = routers[m];
      if (vr?.faults.includes(source)) forced.push({ instance: m, event: { type: 'fault-cleared', source } });
    }
    const forcedMove = transition.reason === 'sync-group' || transition.reason === 'sync-group-fault';
    if (!forcedMove && transition.to === 'master') {
      for (const m of others) if ((routers[m] as VirtualRouter).state === 'backup') forced.push({ instance: m, event: { type: 'sync-master' } });
      next = 'master';
    } else if (!forcedMove && transition.from === 'master' && transition.to === 'backup') {
      for (const m of others) if ((routers[m] as VirtualRouter).state === 'master') forced.push({ instance: m, event: { type: 'sync-backup' } });
      next = 'backup';
    } else if (transition.to === 'backup' && (group.state === 'fault' || group.state === null)) {
      next = 'backup';
    }
  }
  const notify = next !== group.state && next !== null ? next : null;
  return { group: { ...group, state: next }, forced, notify };
}

/** The group state implied by its members' states (for status output). */
export function groupStateOf(states: readonly State[]): GroupState | null {
  if (states.includes('fault')) return 'fault';
  if (states.length > 0 && states.every((s) => s === 'master')) return 'master';
  if (states.includes('backup')) return 'backup';
  return null;
}
