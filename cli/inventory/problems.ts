// Validation problems: a dot-path, what is wrong and what to do, formatted as `file:line: path: msg — hint`.

export type PathSegment = string | number;
export type Path = readonly PathSegment[];

export interface Problem {
  severity: 'error' | 'warning';
  path: Path;
  /** What is wrong, e.g. `300 is out of range 1..254`. Never contains a secret. */
  message: string;
  /** What to do about it, e.g. `lower it or use 255 only for the address owner`. */
  hint: string;
}

export function error(path: Path, message: string, hint: string): Problem {
  return { severity: 'error', path, message, hint };
}

export function warning(path: Path, message: string, hint: string): Problem {
  return { severity: 'warning', path, message, hint };
}

/** `['pairs', 0, 'master', 'priority']` -> `pairs[0].master.priority`. */
export function dotPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out === '' ? '(top level)' : out;
}

/** Parses a dot-path back into segments (used for origins kept as strings). */
export function parsePath(dot: string): PathSegment[] {
  const out: PathSegment[] = [];
  for (const m of dot.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[1] !== undefined) out.push(m[1]);
  }
  return out;
}

/** Maps a path to a 1-based line in the inventory file (0 when unknown). */
export type LineLocator = (path: Path) => number;

export function formatProblem(p: Problem, file: string, locate: LineLocator): string {
  const line = locate(p.path);
  const where = line > 0 ? `${file}:${line}` : file;
  return `${where}: ${dotPath(p.path)}: ${p.message} — ${p.hint}`;
}

/** Problems sorted by line, then path, so the report reads top to bottom like the file. */
export function sortProblems(problems: readonly Problem[], locate: LineLocator): Problem[] {
  return problems
    .map((p, i) => ({ p, i, line: locate(p.path) }))
    .sort((a, b) => a.line - b.line || a.i - b.i)
    .map((x) => x.p);
}

/** A short, printable rendering of a user value for messages (never used for secrets). */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return Array.isArray(value) ? 'a list' : 'a map';
  return String(value);
}
