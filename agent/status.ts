// The agent's status file: what `haup-agent status`, `haup deploy`, `haup status` and `haup verify` read.
// Written atomically (temp + rename) on every change, and otherwise every 5 s on a wakeup the agent has anyway
// (an advert sent or received): it has no timer of its own, so an instance with nothing to do leaves it as it is.
import { closeSync, constants, fstatSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export const DEFAULT_STATE_FILE = '/run/haup/agent-state.json';
export const DEFAULT_PID_FILE = '/run/haup/haup-agent.pid';

export type InstanceStateName = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP';

export interface InstanceStatus {
  name: string;
  interface: string;
  vrid: number;
  version: 2 | 3;
  family: 4 | 6;
  state: InstanceStateName;
  /** Configured priority. */
  priority: number;
  /** Priority after track-script weights; what the agent advertises. */
  effectivePriority: number;
  advertIntervalMs: number;
  preempt: boolean;
  vips: string[];
  /** True while this node has the VIPs on its interface. */
  vipsHeld: boolean;
  /** Source address of the last advert from the current master (null while we are master or none seen). */
  masterSeen: string | null;
  lastTransition: { from: InstanceStateName; to: InstanceStateName; reason: string; at: string } | null;
  /** Received packets dropped per stable reason (ttl, checksum, auth, vrid, ...), plus sent/received. */
  counters: Record<string, number>;
  tracks: { name: string; kind: 'script' | 'interface'; healthy: boolean }[];
}

export interface AgentStatus {
  agent: 'haup-agent';
  version: string;
  pid: number;
  node: string;
  configFile: string;
  configHash: string;
  startedAt: string;
  updatedAt: string;
  instances: InstanceStatus[];
}

export function writeStatus(file: string, status: AgentStatus): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(status, null, 2)}\n`, { mode: 0o644 });
  renameSync(tmp, file);
  wakeStatusWaiters(file);
}

/**
 * The FIFO next to the status file that waiters block on (`haup deploy`'s scripts read it with a timeout): after
 * each status write the agent writes one line to it, so a wait ends on the change itself instead of polling the
 * file. The agent makes it after its first status write (agent/runtime/agent.ts); without a FIFO or a reader,
 * nothing happens.
 */
export function statusWakeFifo(stateFile: string): string {
  return `${stateFile}.wake`;
}

/** One line to the wake FIFO, never blocking: no FIFO (ENOENT), no reader (ENXIO) or a full pipe is fine. */
export function wakeStatusWaiters(stateFile: string): void {
  let fd: number;
  try {
    fd = openSync(statusWakeFifo(stateFile), constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch {
    return;
  }
  try {
    if (fstatSync(fd).isFIFO()) writeSync(fd, '\n');
  } catch {
    // EAGAIN: the pipe is full of wakeups nobody read; the waiter wakes anyway
  } finally {
    closeSync(fd);
  }
}

/**
 * The environment variable through which whoever starts the agent hands it a readiness FIFO (as s6's
 * notification-fd, or systemd's NOTIFY_SOCKET): the agent writes one line to that descriptor after its first status
 * write, then closes it. deploy's service script passes the FIFO its wait naps on, so on a first start (before the
 * agent has made its wake FIFO) the wait sleeps until the status is there instead of polling the file every 20-50 ms.
 */
export const NOTIFY_FD_ENV = 'HAUP_NOTIFY_FD';

/**
 * Takes the readiness descriptor out of `env` (so no child process sees the variable) and returns a descriptor for
 * notifyReady, or null: not set, not a number >= 3, not a FIFO or pipe, or nobody reading it. The inherited
 * descriptor is replaced by a reopened one, which Node opens close-on-exec: a check script the agent starts before
 * it is ready (and a daemon that script starts, such as nginx) does not inherit it.
 */
export function takeNotifyFd(env: NodeJS.ProcessEnv = process.env): number | null {
  const value = env[NOTIFY_FD_ENV];
  delete env[NOTIFY_FD_ENV];
  if (value === undefined || !/^\d{1,4}$/.test(value) || Number(value) < 3) return null;
  const inherited = Number(value);
  try {
    if (!fstatSync(inherited).isFIFO()) return null; // never write into a file or socket someone left open
  } catch {
    return null; // EBADF: nothing open there
  }
  try {
    return openSync(`/proc/self/fd/${inherited}`, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch {
    return null; // ENXIO: the reader is gone; nobody to tell
  } finally {
    closeSync(inherited);
  }
}

/** One line to the readiness descriptor, then closes it; never blocks, never throws. */
export function notifyReady(fd: number): void {
  try {
    writeSync(fd, '\n');
  } catch {
    // EAGAIN (a full pipe) or EPIPE (the reader is gone): the waiter looks on its own anyway
  }
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

export function readStatus(file: string): AgentStatus {
  return JSON.parse(readFileSync(file, 'utf8')) as AgentStatus;
}
