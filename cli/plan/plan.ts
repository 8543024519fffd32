// Decides what a deploy does on one host: which files to write, and whether the service must be
// started, reloaded or restarted. Pure: rendered files + remote facts in, steps out (STYLE.md §2).
import { createHash } from 'node:crypto';
import { nodeMajor, type HostFacts } from './facts.js';

export interface DesiredFile {
  path: string;
  mode: number;
  content: Buffer | string;
  /** What a change to this file requires from the running service. */
  effect: 'reload' | 'restart';
}

export type ServiceAction = 'none' | 'start' | 'reload' | 'restart';

export interface HostPlan {
  writes: DesiredFile[];
  unchanged: string[];
  service: ServiceAction;
  /** Why the service action was chosen, for --check and --json. */
  reason: string;
  /** The other engine's daemon still runs (pid): stopped before this engine's starts (switching engines). */
  stopRival: number | null;
}

export const MIN_AGENT_NODE = 18;

export function sha256(content: Buffer | string): string {
  return createHash('sha256').update(content).digest('hex');
}

/**
 * Fact problems that forbid touching the pair (issue 4: "Nothing is changed on any node of a pair if a
 * fact check fails"). Each message says what is missing and how to fix it.
 */
export function factProblems(facts: HostFacts, need: { engine: 'haup' | 'keepalived'; interfaces: readonly string[] }): string[] {
  const problems: string[] = [];
  if (facts.uid !== 0 && !facts.sudoOk) {
    problems.push('not root and "sudo -n" needs a password — log in as root or allow passwordless sudo for this user');
  }
  if (!facts.ipPresent) problems.push('iproute2 is missing — install it: apt-get install -y iproute2');
  for (const ifname of need.interfaces) {
    if (!facts.interfaces.includes(ifname)) {
      problems.push(`interface ${ifname} does not exist (has: ${facts.interfaces.join(', ') || 'none'}) — fix "interface" in the inventory`);
    }
  }
  if (need.engine === 'keepalived' && facts.keepalivedPath === null) {
    problems.push('keepalived is not installed (engine: keepalived) — install it: apt-get install -y keepalived');
  }
  if (need.engine === 'haup') {
    const major = nodeMajor(facts.nodeVersion);
    if (major === null) problems.push(`Node.js is not installed — the haup agent needs Node >= ${MIN_AGENT_NODE}: apt-get install -y nodejs`);
    else if (major < MIN_AGENT_NODE) {
      problems.push(`Node.js ${facts.nodeVersion} is too old — the haup agent needs Node >= ${MIN_AGENT_NODE}: upgrade nodejs`);
    }
  }
  return problems;
}

/**
 * `loadedConfig`: the path and SHA-256 of the config the running agent reports it loaded (from its status
 * file), so a config changed behind haup's back (or left unloaded by an interrupted deploy) is reloaded.
 */
export function planHost(desired: readonly DesiredFile[], facts: HostFacts, loadedConfig?: { path: string; sha256: string }): HostPlan {
  const writes: DesiredFile[] = [];
  const unchanged: string[] = [];
  for (const file of desired) {
    const remote = facts.files.get(file.path);
    const same = remote != null && remote.sha256 === sha256(file.content) && remote.mode === file.mode && remote.uid === 0;
    if (same) unchanged.push(file.path);
    else writes.push(file);
  }
  const running = facts.agentPid !== null;
  let service: ServiceAction = 'none';
  let reason = 'nothing changed and the service is running';
  if (!running) {
    service = 'start';
    reason = 'the service is not running';
  } else if (writes.some((w) => w.effect === 'restart')) {
    service = 'restart';
    reason = `changed: ${writes.filter((w) => w.effect === 'restart').map((w) => w.path).join(', ')}`;
  } else if (writes.length > 0) {
    service = 'reload';
    reason = `changed: ${writes.map((w) => w.path).join(', ')}`;
  } else if (loadedConfig) {
    const want = desired.find((d) => d.path === loadedConfig.path);
    if (want && sha256(want.content) !== loadedConfig.sha256) {
      service = 'reload';
      reason = `the running agent has not loaded the current ${loadedConfig.path}`;
    }
  }
  if (facts.rivalPid !== null) {
    // Two VRRP daemons for the same VRIDs on one node fight over the VIP: the old engine goes first. A restart
    // (not a reload) also when ours already runs, so it starts clean once the other has released the VIPs.
    const rival = `the other engine's daemon still runs (pid ${facts.rivalPid}): it is stopped first`;
    reason = service === 'none' || service === 'reload' ? rival : `${reason}; ${rival}`;
    service = running ? 'restart' : 'start';
  }
  return { writes, unchanged, service, reason, stopRival: facts.rivalPid };
}
