// Reads template texts: haup's built-in templates/ folder, overlaid by the user's folder (a file there
// replaces the built-in one of the same name; anything missing from both is an error at render time).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HaupError } from '../errors.js';
import type { TemplateSet, TemplateSource } from './render.js';

/** templates/ at the repository root: two levels up from cli/render/*.ts and from dist/cli/haup.js. */
export const BUILTIN_TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

export async function loadTemplates(userDir: string | null, builtinDir = BUILTIN_TEMPLATES_DIR): Promise<TemplateSet> {
  const set = new Map<string, TemplateSource>();
  for (const t of await readFolder(builtinDir, 'built-in')) set.set(t.name, t);
  if (userDir !== null) for (const t of await readFolder(userDir, 'user')) set.set(t.name, t);
  return set;
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
