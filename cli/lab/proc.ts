// Running programs and ending processes for the lab (effects; zombie-aware, by recorded pid only).
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { HaupError } from '../errors.js';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a program to completion; never throws for a non-zero exit (only if it cannot start).
 * detached: in a new session, so what it leaves running is cut off from our terminal's Ctrl-C.
 */
export function runCommand(
  file: string,
  args: readonly string[],
  opts: { input?: string; detached?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: opts.detached ?? false, env: opts.env ?? process.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Last lines of some output, for error details (STYLE.md §4: at most 20 relevant lines). */
export function tailLines(text: string, max = 20): string[] {
  return text.trimEnd().split('\n').filter((l) => l.trim() !== '').slice(-max);
}

/** Runs a program and returns stdout; a non-zero exit is a HAUP_LAB_FAILED naming the command. */
export async function runChecked(file: string, args: readonly string[], opts: { input?: string; what: string }): Promise<string> {
  const res = await runCommand(file, args, opts);
  if (res.code !== 0) {
    throw new HaupError('HAUP_LAB_FAILED', `${opts.what} failed: ${[file, ...args].join(' ')} exited with ${res.code}`, {
      details: tailLines(res.stderr || res.stdout),
    });
  }
  return res.stdout;
}

/** Process state letter from /proc/PID/stat (R, S, D, Z, ...), or undefined when the pid is gone. */
export function processState(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) S ...": comm may hold spaces and parentheses, so split after the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
}

/** A zombie counts as gone: PID 1 here reaps orphans only every couple of seconds. */
export function isRunning(pid: number): boolean {
  const state = processState(pid);
  return state !== undefined && state !== 'Z' && state !== 'X';
}

/** True when the process lives in the network namespace bound at nsPath (e.g. /run/netns/NAME). */
export function inNetns(pid: number, nsPath: string): boolean {
  try {
    const a = statSync(`/proc/${pid}/ns/net`);
    const b = statSync(nsPath);
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}

/**
 * Pids of every process inside the network namespaces bound at nsPaths, like `ip netns pids` but one
 * pass over /proc for all of them (a spawn per namespace is slow with 40 hosts).
 */
export function pidsInNetns(nsPaths: readonly string[]): number[] {
  const wanted = new Set<string>();
  for (const p of nsPaths) {
    try {
      const st = statSync(p);
      wanted.add(`${st.dev}:${st.ino}`);
    } catch {
      // namespace already gone
    }
  }
  if (wanted.size === 0) return [];
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const st = statSync(`/proc/${entry}/ns/net`);
      if (wanted.has(`${st.dev}:${st.ino}`)) pids.push(Number(entry));
    } catch {
      // exited meanwhile, or a kernel thread
    }
  }
  return pids.filter((p) => p !== process.pid);
}

/** Polls until check() holds or the deadline passes; returns whether it held. */
export async function pollUntil(check: () => boolean | Promise<boolean>, opts: { timeoutMs: number; intervalMs: number }): Promise<boolean> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, opts.intervalMs));
  }
}

/** SIGTERM, a short grace, then SIGKILL; returns the pids still running after that (normally none). */
export async function terminate(pids: readonly number[], opts: { graceMs: number } = { graceMs: 2000 }): Promise<number[]> {
  const signal = (sig: NodeJS.Signals) => {
    for (const pid of pids.filter(isRunning)) {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  const allGone = () => pids.every((p) => !isRunning(p));
  signal('SIGTERM');
  if (await pollUntil(allGone, { timeoutMs: opts.graceMs, intervalMs: 20 })) return [];
  signal('SIGKILL');
  await pollUntil(allGone, { timeoutMs: 5000, intervalMs: 20 });
  return pids.filter(isRunning);
}
