// `haup lab down`: end the lab's processes, delete its namespaces, bridge and veths, remove its files.
import { readFileSync, rmSync } from 'node:fs';
import { HaupError } from '../errors.js';
import { labLeftovers } from './discover.js';
import { DEFAULT_LAB_NAME, labNameProblem } from './names.js';
import { teardownBatch } from './net-plan.js';
import { labPaths } from './paths.js';
import { isRunning, pidsInNetns, runCommand, terminate } from './proc.js';
import { readLabState } from './state.js';
import { preflightLab } from './tools.js';

export interface LabDownOptions {
  readonly name?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly progress?: (line: string) => void;
}

export interface LabDownResult {
  /** False when there was nothing of this lab to remove. */
  readonly existed: boolean;
  readonly processes: number;
  readonly namespaces: number;
  readonly links: number;
}

/**
 * Works from names as well as from state.json, so it also clears a half-failed `up`. Only touches
 * processes inside this lab's namespaces (or recorded by it and still running its config files).
 */
export async function labDown(opts: LabDownOptions = {}): Promise<LabDownResult> {
  const name = opts.name ?? DEFAULT_LAB_NAME;
  const problem = labNameProblem(name);
  if (problem) throw new HaupError('HAUP_USAGE', problem);
  const progress = opts.progress ?? (() => undefined);
  const tools = preflightLab('haup lab down', opts.env, ['ip']);
  const paths = labPaths(name);

  const state = readLabState(paths.state);
  const before = await labLeftovers(tools, name);
  const pids = new Set<number>();
  for (const pid of pidsInNetns(before.namespaces.map((ns) => `/run/netns/${ns}`))) pids.add(pid);
  if (state !== undefined && typeof state !== 'string') {
    // A host whose namespace name is already gone but whose processes live on (an interrupted down).
    for (const host of state.hosts) {
      for (const pid of [host.sshdPid, host.nginxPid]) {
        if (pid !== undefined && isRunning(pid) && commandLine(pid).includes(paths.stateDir)) pids.add(pid);
      }
    }
  }
  const existed = state !== undefined || before.namespaces.length > 0 || before.links.length > 0;

  const survivors = await terminate([...pids]);
  if (survivors.length > 0) {
    throw new HaupError('HAUP_LAB_FAILED', `lab ${name}: processes ${survivors.join(', ')} survived SIGKILL`, {
      hint: 'they may be stuck in the kernel (state D); run down again in a moment',
    });
  }
  const batch = teardownBatch(name, before.namespaces, before.links);
  // -force: go on past a line that fails (e.g. a veth that vanished with its namespace); checked below.
  if (batch !== '') await runCommand(tools.ip, ['-force', '-batch', '-'], { input: batch });
  rmSync(paths.stateDir, { recursive: true, force: true });

  const after = await labLeftovers(tools, name);
  const left = [...after.namespaces, ...after.links];
  if (left.length > 0) {
    throw new HaupError('HAUP_LAB_FAILED', `lab ${name}: could not remove ${left.join(', ')}`, {
      hint: `inspect with "ip netns list" and "ip link show", then run "haup lab down --name ${name}" again`,
    });
  }
  if (existed) {
    progress(`lab ${name}: removed ${pids.size} process(es), ${before.namespaces.length} namespace(s), ${before.links.length} link(s) and ${paths.stateDir}`);
  } else {
    progress(`lab ${name}: nothing to remove (not up)`);
  }
  return { existed, processes: pids.size, namespaces: before.namespaces.length, links: before.links.length };
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}
