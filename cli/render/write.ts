// Writes rendered files under an output folder as DIR/<host>/<absolute path on the node>, with the
// modes deploy would use (0600 for configs that may hold auth_pass).
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { HaupError } from '../errors.js';
import type { RenderedFile } from './render.js';

/** Where a rendered file lands under `outDir`; refuses anything that would escape it. */
export function outputPath(outDir: string, file: Pick<RenderedFile, 'host' | 'path'>): string {
  const root = resolve(outDir);
  const target = resolve(join(root, file.host, file.path));
  if (!target.startsWith(root + sep) || file.host.includes('/') || file.host.startsWith('.')) {
    throw new HaupError('HAUP_USAGE', `refusing to write ${file.path} for ${file.host} outside ${root}`, { hint: 'host names and paths must stay inside --out' });
  }
  return target;
}

export async function writeRenderedFiles(outDir: string, files: readonly RenderedFile[]): Promise<string[]> {
  const written: string[] = [];
  for (const f of files) {
    const target = outputPath(outDir, f);
    await mkdir(dirname(target), { recursive: true, mode: 0o755 });
    await writeFile(target, f.content, { mode: f.mode });
    await chmod(target, f.mode); // writeFile's mode is subject to umask and ignored for existing files
    written.push(target);
  }
  return written;
}
