// Runs track and notify scripts: no shell (like keepalived), a timeout that kills the script's whole
// process group, and the script-security check before a script is first trusted.
import { childProcess } from '../builtins.js';
import { statSync } from 'node:fs';
import { splitCommandLine } from './command-line.js';
import { pathChain, scriptSecurityProblems, type PathStat } from './security.js';

export interface ScriptResult {
  ok: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  durationMs: number;
  /** Set when the script could not be started at all (ENOENT, EACCES, bad quoting). */
  error?: string;
}

export interface RunOptions {
  timeoutMs: number;
  args?: readonly string[];
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
}

export function runScript(line: string, opts: RunOptions): Promise<ScriptResult> {
  const started = Date.now();
  const split = splitCommandLine(line);
  if (!split.ok) return Promise.resolve({ ok: false, code: null, signal: null, timedOut: false, durationMs: 0, error: split.error });
  const [file, ...rest] = split.argv as [string, ...string[]];
  return new Promise((resolve) => {
    let timedOut = false;
    let settled = false;
    const finish = (r: Omit<ScriptResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...r, durationMs: Date.now() - started });
    };
    const child = childProcess().spawn(file, [...rest, ...(opts.args ?? [])], {
      stdio: 'ignore',
      detached: true, // own process group, so a timeout kills the script's children too
      env: opts.env ?? { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
      ...(opts.uid === undefined ? {} : { uid: opts.uid }),
      ...(opts.gid === undefined ? {} : { gid: opts.gid }),
    });
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }, opts.timeoutMs);
    child.on('error', (err) => finish({ ok: false, code: null, signal: null, timedOut: false, error: err.message }));
    child.on('exit', (code, signal) => finish({ ok: !timedOut && code === 0, code, signal, timedOut }));
  });
}

/** Stats the path chain of a script's executable and returns keepalived-style security problems. */
export function checkScriptSecurity(line: string): string[] {
  const split = splitCommandLine(line);
  if (!split.ok) return [split.error];
  const file = split.argv[0] as string;
  if (!file.startsWith('/')) return [`${file} is not an absolute path; enable_script_security needs one`];
  const chain: PathStat[] = [];
  for (const p of pathChain(file)) {
    try {
      const st = statSync(p);
      chain.push({ path: p, uid: st.uid, mode: st.mode, isDirectory: st.isDirectory() });
    } catch (err) {
      return [`cannot stat ${p}: ${(err as Error).message}`];
    }
  }
  return scriptSecurityProblems(chain);
}
