// Package remote-script builds the POSIX sh scripts a transport runs on a host, and parses their output (pure).
// One script per batch keeps round trips low; the remote side needs sh and GNU coreutils (head -c, stat, sha256sum -z).
import type { Command, FileFact, FileType } from './transport.js';

/** POSIX single-quoting; safe words stay bare so commands in messages stay readable. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The line handed to the remote login shell: strings run under `sh -c`, argv elements are quoted. */
export function commandLine(cmd: Command, sudo: boolean): string {
  const line = typeof cmd === 'string' ? `sh -c ${shellQuote(cmd)}` : cmd.map(shellQuote).join(' ');
  // sudo -n: never prompt; fail at once with "a password is required" instead of hanging.
  return sudo ? `sudo -n -- ${line}` : line;
}

export interface PutPlanFile {
  path: string;
  size: number;
  mode: number;
  owner?: string;
}

function dirOf(path: string): string {
  const d = path.slice(0, path.lastIndexOf('/'));
  return d === '' ? '/' : d;
}

/**
 * A script that reads the files' bytes, concatenated in order, from stdin and replaces each file atomically:
 * temp file in the target's directory (so rename(2) is atomic), exact size check (a cut connection never
 * replaces anything), mode and owner, fsync, optional hard-link backup, then `mv -T` (rename). On any error the
 * EXIT trap removes the temp files and every target is left as it was.
 */
export function putScript(files: readonly PutPlanFile[], opts: { backupSuffix?: string } = {}): string {
  const tmp = files.map((_, i) => `"$t${i}"`);
  const lines = ['set -eu', 'umask 077', 'set -C'];
  files.forEach((f, i) => lines.push(`t${i}=${shellQuote(`${dirOf(f.path)}/.haup-new.`)}"$$".${i}`));
  lines.push(`trap 'rm -f -- ${tmp.join(' ')}' EXIT`, `trap 'exit 1' HUP INT TERM PIPE`);
  for (const dir of new Set(files.map((f) => dirOf(f.path)))) {
    lines.push(`[ -d ${shellQuote(dir)} ] || (umask 022 && mkdir -p -- ${shellQuote(dir)})`);
  }
  files.forEach((f, i) => lines.push(f.size === 0 ? `: > "$t${i}"` : `head -c ${f.size} > "$t${i}"`));
  lines.push(
    `[ "$(stat -c %s -- ${tmp.join(' ')})" = '${files.map((f) => f.size).join('\n')}' ] || ` +
      `{ echo 'haup: file data ended early; nothing was replaced' >&2; exit 1; }`,
  );
  for (const [mode, idx] of groupBy(files, (f) => f.mode.toString(8).padStart(4, '0'))) {
    lines.push(`chmod ${mode} ${idx.map((i) => tmp[i]).join(' ')}`);
  }
  for (const [owner, idx] of groupBy(files, (f) => f.owner ?? '')) {
    if (owner !== '') lines.push(`chown ${shellQuote(owner)} ${idx.map((i) => tmp[i]).join(' ')}`);
  }
  lines.push(`sync -- ${tmp.join(' ')} 2>/dev/null || :`);
  files.forEach((f, i) => {
    const p = shellQuote(f.path);
    if (opts.backupSuffix) lines.push(`if [ -f ${p} ]; then ln -f -- ${p} ${shellQuote(f.path + opts.backupSuffix)}; fi`);
    lines.push(`mv -fT -- "$t${i}" ${p}`);
  });
  lines.push('trap - EXIT');
  return lines.join('\n');
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, number[]> {
  const m = new Map<string, number[]>();
  items.forEach((it, i) => {
    const k = key(it);
    m.set(k, [...(m.get(k) ?? []), i]);
  });
  return m;
}

/** Exit code of getScript when the file does not exist. */
export const GET_MISSING_EXIT = 44;

export function getCommand(path: string): readonly string[] {
  return ['sh', '-c', `[ -e "$1" ] || [ -L "$1" ] || exit ${GET_MISSING_EXIT}; exec cat -- "$1"`, 'haup-get', path];
}

const SHA_MARK = '@@haup-sha256@@';

/** One `stat` and one `sha256sum` over every path (regular files only get hashed: never block on a FIFO). */
export function statCommand(paths: readonly string[]): readonly string[] {
  const script = [
    'LC_ALL=C; export LC_ALL',
    `stat --printf '%f %u %g %s %U %G %n\\0' -- "$@" || :`,
    `printf '${SHA_MARK}\\0'`,
    'for p do shift; if [ -f "$p" ] && [ ! -L "$p" ]; then set -- "$@" "$p"; fi; done',
    'if [ $# -gt 0 ]; then sha256sum -z -- "$@" || :; fi',
  ].join('\n');
  return ['sh', '-c', script, 'haup-stat', ...paths];
}

function fileType(rawMode: number): FileType {
  switch (rawMode & 0o170000) {
    case 0o100000:
      return 'file';
    case 0o040000:
      return 'directory';
    case 0o120000:
      return 'symlink';
    default:
      return 'other';
  }
}

/** Parses statCommand output. `problems` lists stderr lines other than "does not exist" (e.g. permission denied). */
export function parseStatOutput(
  paths: readonly string[],
  stdout: string,
  stderr: string,
): { facts: Map<string, FileFact>; problems: string[] } {
  const cut = stdout.indexOf(`${SHA_MARK}\0`);
  if (cut < 0) return { facts: new Map(), problems: ['stat output is incomplete (no end marker)', ...stderr.split('\n').filter(Boolean)] };
  const stats = new Map<string, string[]>();
  for (const rec of stdout.slice(0, cut).split('\0')) {
    const m = /^([0-9a-f]+) (\d+) (\d+) (\d+) (\S+) (\S+) (.*)$/s.exec(rec);
    if (m?.[7] !== undefined) stats.set(m[7], m.slice(1, 7) as string[]);
  }
  const sums = new Map<string, string>();
  for (const rec of stdout.slice(cut + SHA_MARK.length + 1).split('\0')) {
    const m = /^([0-9a-f]{64}) [ *](.*)$/s.exec(rec);
    if (m?.[1] && m[2] !== undefined) sums.set(m[2], m[1]);
  }
  const problems = stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !/No such file or directory|Not a directory/.test(l));
  const facts = new Map<string, FileFact>();
  for (const path of paths) {
    const s = stats.get(path);
    if (!s) {
      facts.set(path, { path, exists: false });
      continue;
    }
    const [modeHex = '0', uid = '0', gid = '0', size = '0', owner = '', group = ''] = s;
    const raw = parseInt(modeHex, 16);
    const type = fileType(raw);
    const sha256 = type === 'file' ? (sums.get(path) ?? null) : null;
    if (type === 'file' && sha256 === null && !problems.some((l) => l.includes(path))) problems.push(`${path}: no checksum`);
    facts.set(path, { path, exists: true, type, mode: raw & 0o7777, uid: Number(uid), gid: Number(gid), owner, group, size: Number(size), sha256 });
  }
  return { facts, problems };
}

export type SudoProblem = 'password-required' | 'not-installed' | 'not-allowed';

/** Recognises sudo's own refusals in a command's result (only meaningful when the command ran under sudo -n). */
export function sudoProblem(result: { code: number; stderr: string }): SudoProblem | null {
  if (result.code === 0) return null;
  if (/^sudo: (a password is required|a terminal is required)/m.test(result.stderr)) return 'password-required';
  if (result.code === 127 && /sudo: (command )?not found|sudo: No such file/.test(result.stderr)) return 'not-installed';
  if (/is not in the sudoers file|is not allowed to (run sudo|execute)/.test(result.stderr)) return 'not-allowed';
  return null;
}
