// Types of the VRRP state machine: router config and state, the events it consumes and the actions it emits.

export type State = 'initialize' | 'backup' | 'master' | 'fault';

/** Timers the runtime keeps for one virtual router; `start-timer` re-arms, `stop-timer` cancels. */
export type TimerName = 'master-down' | 'advert' | 'garp-delay' | 'garp-refresh';

/** Stable kebab-case reasons carried by every transition (logs, status file and `haup verify` grep them). */
export type Reason =
  /** initialize -> backup at startup (keepalived: also with `state MASTER` unless priority 255). */
  | 'startup'
  /** initialize -> master: address owner (priority 255) with `state MASTER` (RFC 5798 §6.4.1). */
  | 'startup-address-owner'
  /** backup -> master: no advert for Master_Down_Interval (RFC 5798 §6.4.2). */
  | 'master-down-timer'
  /** backup -> master: the master said goodbye (priority 0), we waited Skew_Time. */
  | 'priority-zero-advert'
  /** backup -> master: we preempted a lower-priority master (its adverts were discarded). */
  | 'lower-priority-advert-preempt'
  /** master -> backup: a higher-priority advert (RFC 5798 §6.4.3). */
  | 'higher-priority-advert'
  /** master -> backup: same priority, the sender's primary address is greater (RFC 5798 §6.4.3). */
  | 'equal-priority-higher-address'
  /** -> fault: a weight-0 track script failed. */
  | 'check-failed'
  /** -> fault: a tracked interface (or our own interface) went down. */
  | 'interface-down'
  /** -> fault: another member of our sync group is in fault. */
  | 'sync-group-fault'
  /** -> fault for any other fault source. */
  | 'fault'
  /** fault -> backup/master: the last fault source cleared. */
  | 'fault-cleared'
  /** backup <-> master forced by the sync group (its members change state together). */
  | 'sync-group'
  /** -> initialize: the agent is stopping (master sends priority 0 first). */
  | 'shutdown';

export interface GarpConfig {
  /** Delay before the second burst of gratuitous ARPs / NAs after becoming master (0 = none). */
  delayMs: number;
  /** How many GARPs / NAs per VIP in each burst. */
  repeat: number;
  /** Periodic refresh while master (0 = none). */
  refreshMs: number;
  refreshRepeat: number;
}

/** Static settings of one virtual router (built from a vrrp_instance by routerConfig()). */
export interface RouterConfig {
  name: string;
  vrid: number;
  version: 2 | 3;
  /** Configured (base) priority 1..255; 255 = address owner. */
  priority: number;
  /** Our Advertisement_Interval in centiseconds. */
  advertIntervalCs: number;
  /** RFC Preempt_Mode (false = keepalived nopreempt). */
  preempt: boolean;
  /** keepalived preempt_delay: hold off preempting a lower-priority master this long. */
  preemptDelayMs: number;
  /** keepalived `state`: MASTER only matters for the address owner, which then skips the backup wait. */
  initialState: 'master' | 'backup';
  /** Our primary address (or unicast_src_ip): breaks ties at equal priority. */
  primaryAddress: string;
  garp: GarpConfig;
}

export interface Transition {
  from: State;
  to: State;
  reason: Reason;
  /** What caused it when more than the reason is known (e.g. "script:chk_nginx", the advert source). */
  detail?: string;
  at: number;
}

/** The whole state of one virtual router: plain JSON, so it can be saved, diffed and replayed. */
export interface VirtualRouter {
  config: RouterConfig;
  state: State;
  /** Priority after track weights (what we advertise); always 255 for the address owner. */
  effectivePriority: number;
  /** RFC 5798 Master_Adver_Interval (cs): the master's advertised interval while backup (v3). */
  masterAdverIntervalCs: number;
  /** Active fault sources ("script:NAME", "interface:IF", "sync-group:NAME", ...). Non-empty = fault. */
  faults: string[];
  /** Absolute deadlines (ms, the clock of `now`) of the timers we asked the runtime to run. */
  timers: Partial<Record<TimerName, number>>;
  /** keepalived preempt_time: until then a lower-priority master is not preempted. */
  preemptAt: number | null;
  /** Source and priority of the last accepted advert from the master (null while we are master). */
  masterAddress: string | null;
  masterPriority: number | null;
  /** Reason to use if the master-down timer fires now (keepalived next_master_reason). */
  nextMasterReason: Reason;
  lastTransition: Transition | null;
}

export type Event =
  | { type: 'startup' }
  | { type: 'shutdown' }
  /** A received advert that passed decodeAdvert and validateAdvert. */
  | { type: 'advert'; src: string; priority: number; intervalCs: number }
  | { type: 'master-down-timer' }
  | { type: 'advert-timer' }
  | { type: 'garp-delay-timer' }
  | { type: 'garp-refresh-timer' }
  /** New effective priority (base + track weights, see checks/hysteresis.ts). */
  | { type: 'priority-changed'; priority: number }
  | { type: 'fault'; source: string }
  | { type: 'fault-cleared'; source: string }
  /** SIGHUP: new settings for the same VRID/interface; state and VIPs are kept. */
  | { type: 'reload'; config: RouterConfig; priority: number }
  /** Forced by the sync group (see sync-group.ts). */
  | { type: 'sync-master' }
  | { type: 'sync-backup' };

export type NotifyState = 'master' | 'backup' | 'fault' | 'stop';

export type Action =
  | { type: 'send-advert'; priority: number }
  | { type: 'add-vips' }
  | { type: 'remove-vips' }
  /** Gratuitous ARP (IPv4) / unsolicited NA (IPv6) for every VIP, `repeat` times. */
  | { type: 'send-garp'; repeat: number }
  | { type: 'start-timer'; timer: TimerName; ms: number }
  | { type: 'stop-timer'; timer: TimerName }
  | { type: 'transition'; from: State; to: State; reason: Reason; detail?: string }
  /** Run notify_<state> and notify with keepalived's arguments (INSTANCE name STATE priority). */
  | { type: 'notify'; state: NotifyState };

export interface StepResult {
  vr: VirtualRouter;
  actions: Action[];
}
