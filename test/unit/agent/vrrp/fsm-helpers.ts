// Test helpers for the VRRP state machine: router configs and event sequences.
import { createRouter, step, type Action, type Event, type RouterConfig, type VirtualRouter } from '../../../../agent/vrrp/fsm.js';

export function config(over: Partial<RouterConfig> = {}): RouterConfig {
  return {
    name: 'VI_1',
    vrid: 254,
    version: 2,
    priority: 100,
    advertIntervalCs: 100,
    preempt: true,
    preemptDelayMs: 0,
    initialState: 'backup',
    primaryAddress: '10.0.0.2',
    garp: { delayMs: 5000, repeat: 5, refreshMs: 0, refreshRepeat: 1 },
    ...over,
  };
}

/** Feeds events in order; returns the final router and the actions of the last event. */
export function run(vr: VirtualRouter, events: readonly [number, Event][]): { vr: VirtualRouter; actions: Action[]; all: Action[][] } {
  let cur = vr;
  const all: Action[][] = [];
  for (const [now, ev] of events) {
    const r = step(cur, ev, now);
    cur = r.vr;
    all.push(r.actions);
  }
  return { vr: cur, actions: all[all.length - 1] ?? [], all };
}

/** A router already in backup (started at t=0). */
export function backup(over: Partial<RouterConfig> = {}): VirtualRouter {
  return run(createRouter(config(over)), [[0, { type: 'startup' }]]).vr;
}

/** A router that became master at t=4000 after its master-down timer. */
export function master(over: Partial<RouterConfig> = {}): VirtualRouter {
  const vr = backup(over);
  return run(vr, [[vr.timers['master-down'] as number, { type: 'master-down-timer' }]]).vr;
}

export const types = (actions: readonly Action[]): string[] =>
  actions.map((a) => (a.type === 'start-timer' || a.type === 'stop-timer' ? `${a.type}:${a.timer}` : a.type === 'transition' ? `transition:${a.to}:${a.reason}` : a.type));
