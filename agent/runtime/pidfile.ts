// The agent's pid file: refuse to start while a live haup-agent holds it, write ours, remove it on exit.
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** /proc/PID/stat's state letter (after the parenthesised command name, which may hold spaces). */
export function procState(stat: string): string | undefined {
  return /^\s+(\S)/.exec(stat.slice(stat.lastIndexOf(')') + 1))?.[1];
}

/** Whether a NUL-separated /proc/PID/cmdline is a haup agent (node running haup-agent*.cjs, or a haup-agent binary). */
export function isAgentCmdline(cmdline: string): boolean {
  return cmdline.split('\0').some((arg) => /haup-agent/.test(arg.split('/').pop() ?? ''));
}

/** Whether `pid` is a live (not zombie) haup-agent process. */
export function isAgentPid(pid: number): boolean {
  try {
    const state = procState(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    if (state === undefined || state === 'Z' || state === 'X') return false;
    return isAgentCmdline(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return false; // no such process
  }
}

/** The pid of a running haup-agent holding `file`, or null (missing file, stale pid, zombie, pid reused). */
export function livePidIn(file: string): number | null {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return null;
  return isAgentPid(pid) ? pid : null;
}

export type AcquireResult = { ok: true } | { ok: false; pid: number };

export function acquirePidFile(file: string): AcquireResult {
  const holder = livePidIn(file);
  if (holder !== null) return { ok: false, pid: holder };
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${process.pid}\n`, { mode: 0o644 });
  renameSync(tmp, file);
  return { ok: true };
}

/** Removes the pid file if it still names this process. */
export function releasePidFile(file: string): void {
  try {
    if (Number.parseInt(readFileSync(file, 'utf8').trim(), 10) === process.pid) unlinkSync(file);
  } catch {
    // already gone
  }
}
