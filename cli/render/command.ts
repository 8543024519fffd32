// The `haup render` handler: load and validate the inventory, render every host, write the files.
import { isAbsolute, relative } from 'node:path';
import { loadInventory } from '../inventory/load.js';
import { renderInventory } from './render.js';
import { loadTemplates } from './templates.js';
import { writeRenderedFiles } from './write.js';

export interface RenderArgs {
  inventory: string;
  out: string;
  templates?: string | undefined;
}

export async function runRender(args: RenderArgs, io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream } = { out: process.stdout, err: process.stderr }): Promise<void> {
  const { model, warnings } = await loadInventory(args.inventory);
  for (const w of warnings) io.err.write(`warning: ${w}\n`);
  const templates = await loadTemplates(args.templates ?? model.templatesDir);
  const files = renderInventory(model, templates);
  await writeRenderedFiles(args.out, files);
  for (const f of files) io.out.write(`${f.host}  ${f.path}  ${f.mode.toString(8).padStart(4, '0')}  (${f.template})\n`);
  const shown = isAbsolute(args.out) ? args.out : relative('.', args.out) || '.';
  io.out.write(`rendered ${files.length} files for ${model.hosts.length} hosts into ${shown}/<host>/\n`);
}
