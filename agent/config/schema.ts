// The typed keepalived.conf subset haup reads: the contract between what the CLI renders and what the agent runs.
//
// Times are in seconds as in keepalived.conf; every field is filled (defaults are keepalived's).

export interface SourceRef {
  file: string;
  line: number;
}

export interface Diagnostic extends SourceRef {
  severity: 'error' | 'warning';
  message: string;
}

export interface ScriptUser {
  user: string;
  group?: string;
}

export interface GlobalDefs {
  routerId?: string;
  /** Refuse scripts writable by non-root users (keepalived enable_script_security). */
  enableScriptSecurity: boolean;
  scriptUser?: ScriptUser;
  /** Default VRRP version for instances (keepalived vrrp_version, default 2). */
  vrrpVersion: 2 | 3;
  garpMasterDelay: number;
  garpMasterRepeat: number;
  garpMasterRefresh: number;
  garpMasterRefreshRepeat: number;
  /** Seconds to wait after start before the instances begin (keepalived vrrp_startup_delay). */
  startupDelay: number;
}

export interface VrrpScript extends SourceRef {
  name: string;
  /** The command line as written (quotes already removed once); the runner splits it into argv. */
  script: string;
  /** Seconds between runs. */
  interval: number;
  /** Seconds before a run counts as failed (keepalived: 0 = interval). */
  timeout: number;
  /** Default weight for instances tracking this script: -253..253, 0 = FAULT on failure. */
  weight: number;
  weightReverse: boolean;
  rise: number;
  fall: number;
  user?: ScriptUser;
  /** Start as failed rather than undecided (keepalived init_fail). */
  initFail: boolean;
}

export interface VirtualIp extends SourceRef {
  /** Canonical address text. */
  address: string;
  /** Prefix length; keepalived defaults to 32 (IPv4) / 128 (IPv6). */
  prefix: number;
  family: 4 | 6;
  /** Interface to put the address on (defaults to the instance's interface). */
  dev?: string;
  label?: string;
}

export interface TrackScriptRef extends SourceRef {
  script: string;
  /** Weight for this use (the script's default weight if not given here). */
  weight: number;
  reverse: boolean;
}

export interface TrackInterfaceRef extends SourceRef {
  interface: string;
  weight: number;
  reverse: boolean;
}

export interface NotifyScript extends SourceRef {
  script: string;
  user?: ScriptUser;
}

export interface NotifyScripts {
  master?: NotifyScript;
  backup?: NotifyScript;
  fault?: NotifyScript;
  stop?: NotifyScript;
  /** `notify`: runs on every transition with TYPE NAME STATE PRIORITY appended. */
  any?: NotifyScript;
}

export interface Authentication {
  type: 'PASS';
  /** At most 8 characters (keepalived truncates, with a warning). */
  pass: string;
}

export interface GarpSettings {
  /** Seconds before the second GARP burst after becoming master (0 = none). */
  masterDelay: number;
  masterRepeat: number;
  /** Seconds between periodic GARPs while master (0 = none). */
  masterRefresh: number;
  masterRefreshRepeat: number;
}

export interface VrrpInstance extends SourceRef {
  name: string;
  /** keepalived `state`; MASTER only makes the address owner (priority 255) skip the backup wait. */
  state: 'MASTER' | 'BACKUP';
  interface: string;
  vrid: number;
  /** 1..255, 255 = address owner. */
  priority: number;
  /** Seconds; whole seconds for v2, multiples of 0.01 for v3 (at most 40.95). */
  advertInt: number;
  version: 2 | 3;
  family: 4 | 6;
  nopreempt: boolean;
  /** Seconds. */
  preemptDelay: number;
  authentication?: Authentication;
  vips: VirtualIp[];
  trackScripts: TrackScriptRef[];
  trackInterfaces: TrackInterfaceRef[];
  notify: NotifyScripts;
  unicastSrcIp?: string;
  unicastPeers: string[];
  garp: GarpSettings;
}

export interface SyncGroupConfig extends SourceRef {
  name: string;
  members: string[];
  notify: NotifyScripts;
}

export interface HaupConfig {
  globalDefs: GlobalDefs;
  scripts: VrrpScript[];
  instances: VrrpInstance[];
  syncGroups: SyncGroupConfig[];
}

/** keepalived's defaults (vrrp.h VRRP_GARP_DELAY, VRRP_GARP_REP, VRRP_GARP_REFRESH*, VRRP_ADVER_DFL, VRRP_PRIO_DFL). */
export const DEFAULTS = {
  vrrpVersion: 2,
  garpMasterDelay: 5,
  garpMasterRepeat: 5,
  garpMasterRefresh: 0,
  garpMasterRefreshRepeat: 1,
  startupDelay: 0,
  advertInt: 1,
  priority: 100,
  scriptInterval: 1,
  scriptRise: 1,
  scriptFall: 1,
  scriptWeight: 0,
} as const;

export function defaultGlobalDefs(): GlobalDefs {
  return {
    enableScriptSecurity: false,
    vrrpVersion: DEFAULTS.vrrpVersion,
    garpMasterDelay: DEFAULTS.garpMasterDelay,
    garpMasterRepeat: DEFAULTS.garpMasterRepeat,
    garpMasterRefresh: DEFAULTS.garpMasterRefresh,
    garpMasterRefreshRepeat: DEFAULTS.garpMasterRefreshRepeat,
    startupDelay: DEFAULTS.startupDelay,
  };
}
