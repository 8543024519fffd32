// What an instance tracks (its scripts, its interfaces) and the state-machine events a change in their health gives. Pure.
import { health, type CheckStatus, type Health, type Tracked } from '../checks/hysteresis.js';
import type { VrrpInstance } from '../config/schema.js';
import type { Event, VirtualRouter } from '../vrrp/fsm-types.js';

export const scriptSource = (name: string): string => `script:${name}`;
export const interfaceSource = (ifname: string): string => `interface:${ifname}`;

/** Status of a vrrp_script: `disabled` when script security refused it (keepalived then ignores it). */
export type ScriptStatus = CheckStatus | 'disabled';

/**
 * The instance's tracks: its track_script and track_interface entries, plus its own interface with
 * weight 0 (keepalived always tracks the VRRP interface: down means FAULT, RFC 5798 §6.4 "Interface down").
 */
export function trackedFor(inst: VrrpInstance, scriptStatus: (name: string) => ScriptStatus, linkStatus: (ifname: string) => CheckStatus): Tracked[] {
  const out: Tracked[] = [];
  for (const t of inst.trackScripts) {
    const status = scriptStatus(t.script);
    if (status === 'disabled') continue;
    out.push({ source: scriptSource(t.script), weight: t.weight, reverse: t.reverse, status });
  }
  const ownListed = inst.trackInterfaces.some((t) => t.interface === inst.interface && t.weight === 0 && !t.reverse);
  if (!ownListed) out.push({ source: interfaceSource(inst.interface), weight: 0, reverse: false, status: linkStatus(inst.interface) });
  for (const t of inst.trackInterfaces) {
    out.push({ source: interfaceSource(t.interface), weight: t.weight, reverse: t.reverse, status: linkStatus(t.interface) });
  }
  return out;
}

export function instanceHealth(inst: VrrpInstance, tracks: readonly Tracked[]): Health {
  return health(inst.priority, tracks);
}

const managed = (source: string) => source.startsWith('script:') || source.startsWith('interface:');

/**
 * Events that bring a running router in line with its tracks' health: the new effective priority
 * first (so a FAULT that follows is left with the right priority), then new faults, then cleared ones.
 * Fault sources the runtime does not own (e.g. "sync-group:G") are left alone.
 */
export function healthEvents(vr: VirtualRouter, h: Health): Event[] {
  const events: Event[] = [];
  if (vr.config.priority !== 255 && h.priority !== vr.effectivePriority) events.push({ type: 'priority-changed', priority: h.priority });
  const want = new Set(h.faults);
  for (const f of want) if (!vr.faults.includes(f)) events.push({ type: 'fault', source: f });
  // A track with no result yet (a script restarted by a reload) keeps the fault it had.
  for (const f of vr.faults) if (managed(f) && !want.has(f) && !h.pending.includes(f)) events.push({ type: 'fault-cleared', source: f });
  return events;
}
