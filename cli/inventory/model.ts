// The pure per-host model that templates render: every VRRP instance a host runs, its state, priority,
// peer and check scripts, with all defaults applied and all secrets resolved.

export type Engine = 'haup' | 'keepalived';
export type Role = 'master' | 'backup';

/** Where each engine keeps its files on a node (the haup paths are a shared contract, see COMMON.md). */
export interface EnginePaths {
  config: string;
  scriptsDir: string;
  /** systemd unit haup renders, or null when the distribution ships it (keepalived). */
  unit: string | null;
  /** systemd service name. */
  service: string;
  pidfile: string;
  /** The agent bundle (haup only). */
  agent: string | null;
  stateFile: string | null;
  log: string | null;
}

export const ENGINE_PATHS: Readonly<Record<Engine, EnginePaths>> = {
  haup: {
    config: '/etc/haup/keepalived.conf',
    scriptsDir: '/etc/haup/scripts',
    unit: '/etc/systemd/system/haup-agent.service',
    service: 'haup-agent',
    pidfile: '/run/haup/haup-agent.pid',
    agent: '/opt/haup/haup-agent.cjs',
    stateFile: '/run/haup/agent-state.json',
    log: '/var/log/haup/agent.log',
  },
  keepalived: {
    config: '/etc/keepalived/keepalived.conf',
    scriptsDir: '/etc/keepalived/scripts',
    unit: null,
    service: 'keepalived',
    pidfile: '/run/keepalived.pid',
    agent: null,
    stateFile: null,
    log: null,
  },
};

export interface Vip {
  address: string;
  prefix: number | null;
  family: 4 | 6;
  dev: string;
  label: string | null;
}

export interface CheckSpec {
  template: string;
  interval: number;
  timeout: number | null;
  weight: number;
  rise: number;
  fall: number;
  /** Service restarted when the probe fails (null: no restart). */
  service: string | null;
  process: string | null;
  pidfile: string | null;
  /** Command that starts the service where systemd is absent (null: systemctl, init.d, or the binary). */
  start: string[] | null;
  host: string;
  port: number | null;
  url: string | null;
  /** Stop the VRRP daemon when the service stays down, so the peer takes over. */
  stepAside: boolean;
}

export interface ScriptModel {
  /** vrrp_script name, e.g. chk_nginx. */
  name: string;
  /** Absolute path on the node, e.g. /etc/haup/scripts/check_nginx.sh. */
  path: string;
  check: CheckSpec;
  /** Pairs whose instances track this script. */
  pairs: string[];
}

export interface PeerRef {
  id: string;
  host: string;
  priority: number;
}

export interface InstanceModel {
  /** vrrp_instance name, e.g. VI_1 or VI_web. */
  name: string;
  pair: string;
  role: Role;
  state: 'MASTER' | 'BACKUP';
  interface: string;
  vrid: number;
  priority: number;
  advertInt: number;
  version: 2 | 3;
  preempt: boolean;
  preemptDelay: number | null;
  auth: { type: 'PASS'; pass: string } | null;
  vips: Vip[];
  /** Names of the vrrp_scripts this instance tracks. */
  trackScripts: string[];
  unicast: { src: string; peers: string[] } | null;
  peer: PeerRef;
}

export interface SshSpec {
  user: string;
  port: number;
  /** Absolute path of the private key, or null to use ssh-agent. */
  key: string | null;
  knownHosts: string;
  jump: string | null;
  sudo: boolean;
  connectTimeout: number;
}

export interface HostModel {
  /** Node name if given, else host; names the output folder. */
  id: string;
  host: string;
  name: string | null;
  engine: Engine;
  paths: EnginePaths;
  ssh: SshSpec;
  instances: InstanceModel[];
  scripts: ScriptModel[];
}

export interface ProbeSpec {
  type: 'http' | 'tcp' | 'ping';
  port: number;
  path: string;
}

export interface PairModel {
  name: string;
  vrid: number;
  version: 2 | 3;
  advertInt: number;
  preempt: boolean;
  vips: Vip[];
  master: PeerRef;
  backup: PeerRef;
  probe: ProbeSpec;
}

export interface InventoryModel {
  file: string;
  /** The user's template folder (absolute), or null for the built-in one. */
  templatesDir: string | null;
  pairs: PairModel[];
  hosts: HostModel[];
}
