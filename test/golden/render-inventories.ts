// Shared by the golden tests: renders each example inventory (inventories/*.yml) with a fixed
// environment, so the output depends only on the inventory and the templates.
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadInventory } from '../../cli/inventory/load.js';
import { renderInventory, type RenderedFile } from '../../cli/render/render.js';
import { loadTemplates } from '../../cli/render/templates.js';

export const INVENTORY_DIR = 'inventories';
export const GOLDEN_DIR = 'test/golden';

export function exampleInventories(): string[] {
  return readdirSync(INVENTORY_DIR).filter((f) => f.endsWith('.yml')).sort().map((f) => join(INVENTORY_DIR, f));
}

export function goldenName(inventory: string): string {
  return basename(inventory, '.yml');
}

export async function renderExample(inventory: string): Promise<RenderedFile[]> {
  const { model } = await loadInventory(inventory, { env: {}, home: '/home/haup' });
  return renderInventory(model, await loadTemplates(model.templatesDir));
}
