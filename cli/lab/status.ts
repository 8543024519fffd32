// `haup lab status`: a lab's hosts, addresses and whether their sshd and nginx are running.
import { readFileSync } from 'node:fs';
import { HaupError } from '../errors.js';
import { DEFAULT_LAB_NAME, labNameProblem } from './names.js';
import { labPaths } from './paths.js';
import { inNetns, isRunning } from './proc.js';
import { readLabState } from './state.js';
import { notRootError } from './tools.js';

export interface LabHostStatus {
  readonly index: number;
  readonly name: string;
  readonly address: string;
  readonly ns: string;
  readonly sshdPid: number | undefined;
  readonly sshdRunning: boolean;
  readonly nginxPid: number | undefined;
  readonly nginxRunning: boolean;
}

export interface LabStatus {
  readonly name: string;
  readonly phase: 'creating' | 'up';
  readonly subnet: string;
  readonly workstation: string;
  readonly bridge: string;
  readonly stateDir: string;
  readonly keyPath: string;
  readonly knownHostsPath: string;
  readonly inventoryPath: string;
  readonly hosts: readonly LabHostStatus[];
  /** Every host's sshd and nginx run inside that host's namespace. */
  readonly healthy: boolean;
}

export function labStatus(opts: { name?: string; env?: NodeJS.ProcessEnv } = {}): LabStatus {
  const name = opts.name ?? DEFAULT_LAB_NAME;
  const problem = labNameProblem(name);
  if (problem) throw new HaupError('HAUP_USAGE', problem);
  const uid = process.getuid?.() ?? 0;
  if (uid !== 0) throw notRootError('haup lab status', uid);
  const paths = labPaths(name);
  const state = readLabState(paths.state);
  if (state === undefined) {
    throw new HaupError('HAUP_LAB_NOT_FOUND', `lab ${name} is not up (no ${paths.state})`, { hint: `start it with "haup lab up --name ${name}"` });
  }
  if (typeof state === 'string') {
    throw new HaupError('HAUP_LAB_FAILED', `lab ${name}: ${paths.state} is unreadable: ${state}`, { hint: `run "haup lab down --name ${name}"` });
  }
  const hosts = state.hosts.map((h): LabHostStatus => {
    const nsPath = `/run/netns/${h.ns}`;
    const running = (pid: number | undefined) => pid !== undefined && isRunning(pid) && inNetns(pid, nsPath);
    const sshdRunning = running(h.sshdPid);
    // nginx may have been restarted (check scripts do that): its pidfile in the host's /run is the truth.
    const livePid = sshdRunning ? readPid(`/proc/${h.sshdPid}/root/run/nginx.pid`) : undefined;
    const nginxPid = livePid ?? h.nginxPid;
    return {
      index: h.index,
      name: h.name,
      address: h.address,
      ns: h.ns,
      sshdPid: h.sshdPid,
      sshdRunning,
      nginxPid,
      nginxRunning: running(nginxPid),
    };
  });
  return {
    name,
    phase: state.phase,
    subnet: state.subnet,
    workstation: state.workstation,
    bridge: state.bridge,
    stateDir: paths.stateDir,
    keyPath: paths.key,
    knownHostsPath: paths.knownHosts,
    inventoryPath: paths.inventory,
    hosts,
    healthy: state.phase === 'up' && hosts.every((h) => h.sshdRunning && h.nginxRunning),
  };
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
