// Validates a parsed inventory and builds its model. Pure: the environment and secret files come in as
// inputs. Returns every problem at once (structure per pair, then the rules within and across pairs).
import * as z from 'zod/mini';
import { buildModel } from './build-model.js';
import { crossPairProblems } from './cross-rules.js';
import { interpolate, type Env } from './interpolate.js';
import type { InventoryModel } from './model.js';
import { error, show, type Path, type Problem } from './problems.js';
import { expandPath, resolvePair, type ResolvedPair, type SecretReader } from './resolve.js';
import { pairProblems } from './rules.js';
import { Auth, Check, Inventory, Node, Pair, Probe, Settings, Ssh, type RawPair, type RawSettings } from './schema.js';

export interface ValidateOptions {
  /** The inventory's path as shown to the user. */
  file: string;
  /** Folder that relative paths (templates, keys, pass_file) are resolved against. */
  baseDir: string;
  env: Env;
  home: string;
  readSecretFile: SecretReader;
}

export interface ValidateResult {
  model: InventoryModel | null;
  errors: Problem[];
  warnings: Problem[];
}

/** The top level with pairs left unparsed: each pair is parsed on its own below. */
const TopLevel = z.extend(Inventory, {
  pairs: z.array(z.unknown(), { error: 'must be a list — list the pairs under pairs:' }).check(z.minLength(1, { error: 'is empty — add at least one pair' })),
});

export function validateInventory(raw: unknown, opts: ValidateOptions): ValidateResult {
  if (raw === null || raw === undefined) {
    return result(null, [error([], 'the inventory is empty', 'start from inventories/example.yml')]);
  }
  const interpolated = interpolate(raw, opts.env);
  const problems: Problem[] = [...interpolated.problems];
  const data = interpolated.value;

  // Structure: the top level first (pairs only as a list), then each pair on its own, so one broken
  // pair does not hide the rule problems of the others.
  const top = TopLevel.safeParse(data);
  if (!top.success) problems.push(...zodProblems(top.error.issues, data, []));
  const rawPairs: unknown[] = isObject(data) && Array.isArray(data.pairs) ? data.pairs : [];
  const parsed: { raw: RawPair; index: number }[] = [];
  rawPairs.forEach((p, index) => {
    const r = Pair.safeParse(p);
    if (r.success) parsed.push({ raw: r.data, index });
    else problems.push(...zodProblems(r.error.issues, p, ['pairs', index]));
  });
  if (!top.success) return result(null, suppressCascades(problems, interpolated.problems));

  const defaults: RawSettings | undefined = top.data.defaults;
  const ctx = { baseDir: opts.baseDir, home: opts.home, referenced: interpolated.referenced, readSecretFile: cachedReader(opts.readSecretFile) };
  const resolved: ResolvedPair[] = parsed.map(({ raw: p, index }) => resolvePair(p, index, defaults, ctx, problems));
  for (const p of resolved) problems.push(...pairProblems(p));
  problems.push(...crossPairProblems(resolved));

  const all = suppressCascades(problems, interpolated.problems);
  const hasErrors = all.some((p) => p.severity === 'error') || parsed.length !== rawPairs.length;
  const templatesDir = top.data.templates === undefined ? null : expandPath(top.data.templates, ctx);
  return result(hasErrors ? null : buildModel(opts.file, templatesDir, resolved), all);
}

function result(model: InventoryModel | null, problems: Problem[]): ValidateResult {
  const unique = dedupe(problems);
  return { model, errors: unique.filter((p) => p.severity === 'error'), warnings: unique.filter((p) => p.severity === 'warning') };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function dedupe(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.severity}|${p.path.join('.')}|${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A missing `${VAR}` already has its problem; drop follow-on complaints about the emptied string. */
function suppressCascades(problems: readonly Problem[], interpolation: readonly Problem[]): Problem[] {
  const broken = new Set(interpolation.map((p) => p.path.join('.')));
  return problems.filter((p) => interpolation.includes(p) || !broken.has(p.path.join('.')));
}

function cachedReader(read: SecretReader): SecretReader {
  const cache = new Map<string, ReturnType<SecretReader>>();
  return (path) => {
    let r = cache.get(path);
    if (!r) cache.set(path, (r = read(path)));
    return r;
  };
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v = data;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

const SECRET_KEYS = new Set(['pass']);

/** zod issues -> problems worded `<value> <what> — <hint>`; secrets are never shown. */
export function zodProblems(issues: readonly z.core.$ZodIssue[], data: unknown, prefix: Path): Problem[] {
  const out: Problem[] = [];
  for (const issue of issues) {
    const rel = issue.path as PropertyKey[];
    const path: Path = [...prefix, ...rel.filter((s): s is string | number => typeof s !== 'symbol')];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const near = closest(key, keysAt(path));
        out.push(error([...path, key], `unknown key "${key}"`, near ? `did you mean "${near}"?` : 'remove it; see the inventory reference in README.md'));
      }
      continue;
    }
    const [what, hint] = splitMessage(issue.message);
    const value = valueAt(data, rel);
    const last = path[path.length - 1];
    const shown = typeof last === 'string' && SECRET_KEYS.has(last) ? 'the value' : show(value);
    out.push(error(path, value === undefined ? 'is missing' : what === 'is empty' ? what : `${shown} ${what}`, hint));
  }
  return out;
}

function splitMessage(message: string): [string, string] {
  const i = message.indexOf(' — ');
  if (i === -1) return [message.replace(/^Invalid input: /, ''), 'see the inventory reference in README.md'];
  return [message.slice(0, i), message.slice(i + 3)];
}

/** The keys valid in the map at `path`, from the parent key's name. */
function keysAt(path: Path): readonly string[] {
  const parent = path[path.length - 1];
  const grand = path[path.length - 2];
  if (path.length === 0) return Object.keys(Inventory.shape);
  if (typeof parent === 'number') return grand === 'vips' ? ['address', 'dev', 'label'] : Object.keys(Pair.shape);
  if (parent === undefined) return [];
  switch (parent) {
    case 'defaults': return Object.keys(Settings.shape);
    case 'master': case 'backup': return Object.keys(Node.shape);
    case 'check': return Object.keys(Check.shape);
    case 'ssh': return Object.keys(Ssh.shape);
    case 'auth': return Object.keys(Auth.shape);
    case 'probe': return Object.keys(Probe.shape);
    default: return [];
  }
}

function closest(key: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = 3;
  for (const k of candidates) {
    const d = distance(key.toLowerCase(), k);
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] as number;
      row[j] = Math.min(cur + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length] as number;
}
