// Runs one haup command as its own process, the way a user types it, so the demo shows each command's
// real output (listr2 progress on a terminal, its tables and errors) and its exit code.
import { spawn } from 'node:child_process';
import { relative } from 'node:path';

export interface HaupRun {
  readonly code: number;
  /** Captured stdout when `capture` was set, else ''. */
  readonly stdout: string;
  readonly ms: number;
}

/** argv that re-runs this CLI: the same node, its flags (e.g. `--import tsx` from source) and entry file. */
export function haupArgv(args: readonly string[]): { file: string; args: string[] } {
  const entry = process.argv[1];
  if (entry === undefined) throw new Error('cannot tell how haup was started (no process.argv[1])');
  return { file: process.execPath, args: [...process.execArgv, entry, ...args] };
}

/** How to type this CLI in the hints the demo prints: `node dist/cli/haup.js`, or `haup` when installed. */
export function haupInvocation(cwd: string = process.cwd()): string {
  const entry = process.argv[1] ?? 'haup';
  if (/(^|\/)haup$/.test(entry)) return 'haup';
  const rel = relative(cwd, entry);
  const shown = rel.startsWith('..') ? entry : rel;
  return [...(process.execArgv.includes('tsx') ? ['node --import tsx'] : ['node']), shown].join(' ');
}

/**
 * Runs `haup ARGS`; stdin and stderr are this process's, stdout too unless `capture`. A Ctrl-C reaches
 * the child directly (same process group); the demo waits for it so verify can restore the pair.
 */
export function runHaup(args: readonly string[], opts: { capture?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<HaupRun> {
  const { file, args: argv } = haupArgv(args);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { stdio: ['inherit', opts.capture ? 'pipe' : 'inherit', 'inherit'], env: opts.env ?? process.env });
    const out: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({ code: code ?? (signal === 'SIGINT' ? 130 : 128), stdout: Buffer.concat(out).toString('utf8'), ms: Date.now() - started });
    });
  });
}
