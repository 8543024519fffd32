// Reads template texts: haup's built-in templates/ folder, overlaid by the user's folder (a file there
// replaces the built-in one of the same name; anything missing from both is an error at render time).
// A text equal to one the build precompiled gets its compiled form too, sparing the compiler on every run.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HaupError } from '../errors.js';
import { COMPILE_OPTIONS, loadCompiler } from './handlebars-env.js';
import { PRECOMPILED, PRECOMPILED_OPTIONS, type PrecompiledTemplate } from './precompiled.js';
import type { TemplateSet, TemplateSource } from './render.js';

/** templates/ at the repository root: two levels up from cli/render/*.ts and from dist/cli/haup.js. */
export const BUILTIN_TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

export async function loadTemplates(userDir: string | null, builtinDir = BUILTIN_TEMPLATES_DIR, precompiled = usablePrecompiled()): Promise<TemplateSet> {
  const set = new Map<string, TemplateSource>();
  for (const t of await readFolder(builtinDir, 'built-in')) set.set(t.name, t);
  if (userDir !== null) for (const t of await readFolder(userDir, 'user')) set.set(t.name, t);
  const out = withPrecompiled(set, precompiled);
  // Handlebars' compiler is loaded only for a set with a template the build did not precompile.
  if ([...out.values()].some((t) => t.precompiled === undefined)) await loadCompiler();
  return out;
}

/**
 * Attaches the build's compiled form to each template whose text is exactly the text it was made from; any other
 * text (a user's template, an edited file) keeps compiling at render time. Same text and options, same output.
 */
export function withPrecompiled(set: ReadonlyMap<string, TemplateSource>, precompiled: ReadonlyMap<string, PrecompiledTemplate>): Map<string, TemplateSource> {
  const out = new Map<string, TemplateSource>();
  for (const [name, t] of set) {
    const pre = precompiled.get(name);
    out.set(name, pre !== undefined && pre.text === t.text ? { ...t, precompiled: pre.spec } : t);
  }
  return out;
}

/** The build's table, unless it was made with other compile options than render uses (then nothing). */
export function usablePrecompiled(table = PRECOMPILED, options: Readonly<Record<string, unknown>> = PRECOMPILED_OPTIONS): ReadonlyMap<string, PrecompiledTemplate> {
  const same = JSON.stringify(Object.entries(options).sort()) === JSON.stringify(Object.entries(COMPILE_OPTIONS).sort());
  return same ? table : new Map();
}

async function readFolder(dir: string, kind: 'built-in' | 'user'): Promise<TemplateSource[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.hbs')).sort();
  } catch (err) {
    throw new HaupError('HAUP_TEMPLATE', `cannot read the ${kind} template folder ${dir} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
      hint: kind === 'user' ? 'check --templates or the inventory\'s templates: path' : 'reinstall haup: its templates/ folder is missing',
      cause: err,
    });
  }
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(join(dir, name), 'utf8'), origin: join(dir, name) })));
}
