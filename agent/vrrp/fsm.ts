// The VRRP state machine (RFC 5798 §6.4, with keepalived's behaviour where users rely on it) as a pure step().
//
// step(vr, event, now) returns the next state and the actions the runtime must perform, in order.
// Time is an input: timers are actions (start-timer / stop-timer) and come back as events.
import { compareIp } from './ip-address.js';
import { advertInterval, masterDownInterval, skewTime } from './timers.js';
import type { Action, Event, Reason, RouterConfig, State, StepResult, TimerName, VirtualRouter } from './fsm-types.js';

export type * from './fsm-types.js';

/** A timer event arriving more than this before its deadline is stale (it was re-armed meanwhile). */
const TIMER_SLACK_MS = 5;
const OWNER = 255;

/** A new router in the initialize state; `priority` is the effective priority (defaults to the base). */
export function createRouter(config: RouterConfig, priority = config.priority): VirtualRouter {
  return {
    config,
    state: 'initialize',
    effectivePriority: config.priority === OWNER ? OWNER : priority,
    masterAdverIntervalCs: config.advertIntervalCs,
    faults: [],
    timers: {},
    preemptAt: null,
    masterAddress: null,
    masterPriority: null,
    nextMasterReason: 'master-down-timer',
    lastTransition: null,
  };
}

class Step {
  readonly vr: VirtualRouter;
  readonly actions: Action[] = [];
  constructor(
    vr: VirtualRouter,
    readonly now: number,
  ) {
    this.vr = { ...vr, faults: [...vr.faults], timers: { ...vr.timers } };
  }

  emit(a: Action): void {
    this.actions.push(a);
  }

  start(timer: TimerName, ms: number): void {
    const delay = Math.max(0, ms);
    this.vr.timers[timer] = this.now + delay;
    this.emit({ type: 'start-timer', timer, ms: delay });
  }

  stop(...timers: TimerName[]): void {
    for (const timer of timers) {
      if (this.vr.timers[timer] === undefined) continue;
      delete this.vr.timers[timer];
      this.emit({ type: 'stop-timer', timer });
    }
  }

  /** True if `timer` is armed and due (not a stale event from before a re-arm). */
  due(timer: TimerName): boolean {
    const at = this.vr.timers[timer];
    if (at === undefined || at - this.now > TIMER_SLACK_MS) return false;
    delete this.vr.timers[timer];
    return true;
  }

  transition(to: State, reason: Reason, detail?: string): void {
    const from = this.vr.state;
    this.vr.state = to;
    this.vr.lastTransition = { from, to, reason, at: this.now, ...(detail === undefined ? {} : { detail }) };
    this.emit({ type: 'transition', from, to, reason, ...(detail === undefined ? {} : { detail }) });
  }

  downInterval(): number {
    const { config, effectivePriority, masterAdverIntervalCs } = this.vr;
    return masterDownInterval(config.version, effectivePriority, masterAdverIntervalCs);
  }

  /** RFC 5798 §6.4.2 "Transition to the {Master} state" (also §6.4.1 for the address owner). */
  becomeMaster(reason: Reason, detail?: string): void {
    const vr = this.vr;
    this.transition('master', reason, detail);
    this.stop('master-down');
    vr.masterAddress = null;
    vr.masterPriority = null;
    vr.preemptAt = null;
    vr.masterAdverIntervalCs = vr.config.advertIntervalCs;
    // RFC 5798 §6.4.2: send an ADVERTISEMENT, broadcast gratuitous ARP / unsolicited NA, set the Adver_Timer.
    this.emit({ type: 'send-advert', priority: vr.effectivePriority });
    this.emit({ type: 'add-vips' });
    this.emit({ type: 'send-garp', repeat: vr.config.garp.repeat });
    this.start('advert', advertInterval(vr.config.advertIntervalCs));
    // keepalived: a second GARP burst after garp_master_delay, and refreshes every garp_master_refresh.
    if (vr.config.garp.delayMs > 0) this.start('garp-delay', vr.config.garp.delayMs);
    if (vr.config.garp.refreshMs > 0) this.start('garp-refresh', vr.config.garp.refreshMs);
    this.emit({ type: 'notify', state: 'master' });
  }

  /** Leave master (if we are) and wait as backup with Master_Down_Interval (RFC 5798 §6.4.1 / §6.4.3). */
  becomeBackup(reason: Reason, detail?: string, masterAdverIntervalCs = this.vr.config.advertIntervalCs, cleanVips = false): void {
    const vr = this.vr;
    const wasMaster = vr.state === 'master';
    this.transition('backup', reason, detail);
    if (wasMaster) this.leaveMaster(false);
    else if (cleanVips) this.emit({ type: 'remove-vips' });
    vr.masterAdverIntervalCs = vr.config.version === 3 ? masterAdverIntervalCs : vr.config.advertIntervalCs;
    vr.preemptAt = null;
    vr.nextMasterReason = 'master-down-timer';
    this.start('master-down', this.downInterval());
    this.emit({ type: 'notify', state: 'backup' });
  }

  leaveMaster(sendPriorityZero: boolean): void {
    this.stop('advert', 'garp-delay', 'garp-refresh');
    // RFC 5798 §6.4.3 "If a Shutdown event is received": send an ADVERTISEMENT with Priority = 0.
    if (sendPriorityZero) this.emit({ type: 'send-advert', priority: 0 });
    this.emit({ type: 'remove-vips' });
  }

  enterFault(reason: Reason, detail: string, cleanVips = false): void {
    const wasMaster = this.vr.state === 'master';
    this.transition('fault', reason, detail);
    if (wasMaster) this.leaveMaster(true); // keepalived: leaving master for FAULT sends priority 0
    else if (cleanVips) this.emit({ type: 'remove-vips' });
    this.stop('master-down');
    this.emit({ type: 'notify', state: 'fault' });
  }

  /** keepalived try_up_instance: out of fault into backup, or straight to master for an owner with state MASTER. */
  leaveFault(detail: string): void {
    if (this.ownerStartsMaster()) this.becomeMaster('fault-cleared', detail);
    else this.becomeBackup('fault-cleared', detail);
  }

  ownerStartsMaster(): boolean {
    return this.vr.config.priority === OWNER && this.vr.config.initialState === 'master';
  }
}

function faultReason(source: string): Reason {
  if (source.startsWith('script:')) return 'check-failed';
  if (source.startsWith('interface:')) return 'interface-down';
  if (source.startsWith('sync-group:')) return 'sync-group-fault';
  return 'fault';
}

/** Applies one event at time `now` (ms, a monotonic clock) and returns the new router and the actions. */
export function step(vr: VirtualRouter, ev: Event, now: number): StepResult {
  const s = new Step(vr, now);
  const r = s.vr;
  switch (ev.type) {
    case 'startup':
      if (r.state !== 'initialize') break;
      // RFC 5798 §6.4.1. keepalived first removes VIPs a crashed predecessor may have left behind.
      if (r.faults.length > 0) {
        s.enterFault(faultReason(r.faults[0] as string), r.faults[0] as string, true);
      } else if (s.ownerStartsMaster()) {
        s.becomeMaster('startup-address-owner');
      } else {
        // keepalived 2.2.7: `state MASTER` below 255 also starts as backup and waits Master_Down_Interval.
        s.becomeBackup('startup', undefined, r.config.advertIntervalCs, true);
      }
      break;
    case 'shutdown':
      if (r.state === 'initialize') break;
      {
        const wasMaster = r.state === 'master';
        s.transition('initialize', 'shutdown');
        if (wasMaster) s.leaveMaster(true);
        s.stop('master-down', 'advert', 'garp-delay', 'garp-refresh');
      }
      s.emit({ type: 'notify', state: 'stop' });
      break;
    case 'advert':
      if (r.state === 'backup') onAdvertBackup(s, ev);
      else if (r.state === 'master') onAdvertMaster(s, ev);
      // keepalived ignores adverts in FAULT and INIT (vrrp_dispatcher_read).
      break;
    case 'master-down-timer':
      // RFC 5798 §6.4.2: If the Master_Down_Timer fires, transition to {Master}.
      if (r.state === 'backup' && s.due('master-down')) s.becomeMaster(r.nextMasterReason, r.masterAddress ?? undefined);
      break;
    case 'advert-timer':
      // RFC 5798 §6.4.3: If the Adver_Timer fires, send an ADVERTISEMENT and reset the Adver_Timer.
      if (r.state === 'master' && s.due('advert')) {
        s.emit({ type: 'send-advert', priority: r.effectivePriority });
        s.start('advert', advertInterval(r.config.advertIntervalCs));
      }
      break;
    case 'garp-delay-timer':
      if (r.state === 'master' && s.due('garp-delay')) s.emit({ type: 'send-garp', repeat: r.config.garp.repeat });
      break;
    case 'garp-refresh-timer':
      if (r.state === 'master' && s.due('garp-refresh')) {
        s.emit({ type: 'send-garp', repeat: r.config.garp.refreshRepeat });
        s.start('garp-refresh', r.config.garp.refreshMs);
      }
      break;
    case 'priority-changed':
      onPriorityChanged(s, ev.priority);
      break;
    case 'fault':
      if (r.faults.includes(ev.source)) break;
      r.faults.push(ev.source);
      if (r.faults.length === 1 && (r.state === 'backup' || r.state === 'master')) s.enterFault(faultReason(ev.source), ev.source);
      break;
    case 'fault-cleared':
      if (!r.faults.includes(ev.source)) break;
      r.faults = r.faults.filter((f) => f !== ev.source);
      if (r.faults.length === 0 && r.state === 'fault') s.leaveFault(ev.source);
      break;
    case 'reload':
      onReload(s, ev.config, ev.priority);
      break;
    case 'sync-master':
      if (r.state === 'backup') s.becomeMaster('sync-group');
      break;
    case 'sync-backup':
      if (r.state === 'master') s.becomeBackup('sync-group');
      break;
    default: {
      const never: never = ev;
      throw new Error(`unknown event ${JSON.stringify(never)}`);
    }
  }
  return { vr: s.vr, actions: s.actions };
}

function onAdvertBackup(s: Step, ev: { src: string; priority: number; intervalCs: number }): void {
  const r = s.vr;
  // RFC 5798 §6.4.2: If the Priority in the ADVERTISEMENT is zero, set the Master_Down_Timer to Skew_Time.
  if (ev.priority === 0) {
    r.nextMasterReason = 'priority-zero-advert';
    s.start('master-down', skewTime(r.config.version, r.effectivePriority, r.masterAdverIntervalCs));
    return;
  }
  const preemptHeld = r.config.preemptDelayMs > 0 && (r.preemptAt === null || s.now < r.preemptAt);
  // RFC 5798 §6.4.2: If Preempt_Mode is False, or the advert's Priority >= the local Priority
  // (keepalived: or preempt_delay has not yet run out), accept the master.
  if (!r.config.preempt || ev.priority >= r.effectivePriority || preemptHeld) {
    // RFC 5798 §6.4.2: Set Master_Adver_Interval to the advert's interval (v3), recompute and reset the timer.
    if (r.config.version === 3) r.masterAdverIntervalCs = ev.intervalCs;
    r.masterAddress = ev.src;
    r.masterPriority = ev.priority;
    r.nextMasterReason = 'master-down-timer';
    if (r.config.preemptDelayMs > 0) {
      // keepalived vrrp_state_backup: start the preempt delay on the first lower-priority advert.
      if (ev.priority >= r.effectivePriority) r.preemptAt = null;
      else if (r.preemptAt === null) r.preemptAt = s.now + r.config.preemptDelayMs;
    }
    s.start('master-down', s.downInterval());
    return;
  }
  // RFC 5798 §6.4.2 else: discard the ADVERTISEMENT; the running timer will make us master.
  r.masterAddress = ev.src;
  r.nextMasterReason = 'lower-priority-advert-preempt';
}

function onAdvertMaster(s: Step, ev: { src: string; priority: number; intervalCs: number }): void {
  const r = s.vr;
  const cmp = compareIp(ev.src, r.config.primaryAddress);
  // RFC 5798 §6.4.3: If the Priority in the ADVERTISEMENT is zero, send an ADVERTISEMENT and reset the Adver_Timer.
  if (ev.priority === 0) {
    s.emit({ type: 'send-advert', priority: r.effectivePriority });
    s.start('advert', advertInterval(r.config.advertIntervalCs));
    return;
  }
  if (cmp === 0) return; // our own advert looped back
  if (ev.priority === OWNER && r.effectivePriority === OWNER) {
    // keepalived: two address owners is a configuration error; the local one steps down to 254.
    r.effectivePriority = OWNER - 1;
  }
  if (ev.priority > r.effectivePriority || (ev.priority === r.effectivePriority && cmp > 0)) {
    // RFC 5798 §6.4.3: cancel the Adver_Timer, take the master's interval, set the Master_Down_Timer, go {Backup}.
    const reason = ev.priority > r.effectivePriority ? 'higher-priority-advert' : 'equal-priority-higher-address';
    s.becomeBackup(reason, ev.src, ev.intervalCs);
    r.masterAddress = ev.src;
    r.masterPriority = ev.priority;
    return;
  }
  // RFC 5798 §6.4.3 says discard. keepalived (default lower_prio_no_advert off) answers at once with
  // its own advert and GARPs, so a peer that wrongly became master yields quickly (split-brain repair).
  s.emit({ type: 'send-advert', priority: r.effectivePriority });
  s.emit({ type: 'send-garp', repeat: r.config.garp.repeat });
  s.start('advert', advertInterval(r.config.advertIntervalCs));
}

function onPriorityChanged(s: Step, priority: number): void {
  const r = s.vr;
  if (r.config.priority === OWNER || priority === r.effectivePriority) return;
  const before = s.downInterval();
  r.effectivePriority = priority;
  const deadline = r.timers['master-down'];
  // keepalived vrrp_set_effective_priority: a backup's running down timer moves by the change in Skew_Time.
  if (r.state === 'backup' && deadline !== undefined) s.start('master-down', deadline + (s.downInterval() - before) - s.now);
}

function onReload(s: Step, config: RouterConfig, priority: number): void {
  const r = s.vr;
  const oldInterval = r.config.advertIntervalCs;
  r.config = config;
  r.effectivePriority = config.priority === OWNER ? OWNER : priority;
  if (r.state === 'master' && config.advertIntervalCs !== oldInterval) s.start('advert', advertInterval(config.advertIntervalCs));
  if (r.state === 'backup') {
    if (config.version === 2) r.masterAdverIntervalCs = config.advertIntervalCs;
    // Wait a full interval with the new settings: never take over because of a reload.
    s.start('master-down', s.downInterval());
  }
  if (r.state === 'fault' || r.state === 'initialize') r.masterAdverIntervalCs = config.advertIntervalCs;
}
